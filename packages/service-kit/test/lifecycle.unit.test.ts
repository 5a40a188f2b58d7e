import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { expect, it } from 'vitest';

it('a hung close does not hang the process: it exits with 1 at the deadline', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/service-kit/test/hung-close.ts'], {
    env: { ...process.env, DEADLINE_MS: '500' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const ready = new Promise<void>((resolve) =>
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (line === 'ready') resolve();
    }),
  );
  await ready;
  const signalledAt = performance.now();
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const elapsed = performance.now() - signalledAt;
  expect(code).toBe(1);
  expect(elapsed).toBeGreaterThanOrEqual(450);
  expect(elapsed).toBeLessThan(20_000);
  expect(lines.join('\n')).toContain('shutdown still not done after 500 ms');
});
