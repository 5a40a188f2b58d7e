import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../scripts/launcher/stack.ts';

/** Every test file under a `test/` dir, outside node_modules and build output. */
function testFiles(dir: string, inTestDir = false): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'dist') return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path, inTestDir || entry.name === 'test');
    return inTestDir && entry.name.endsWith('.test.ts') ? [relative(REPO_ROOT, path)] : [];
  });
}

it('every test file names its tier (vitest runs only *.unit, *.int and *.e2e test files)', () => {
  const files = testFiles(REPO_ROOT);
  expect(files.length).toBeGreaterThan(10);
  expect(files.filter((f) => !/\.(unit|int|e2e)\.test\.ts$/.test(f))).toEqual([]);
});
