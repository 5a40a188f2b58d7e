import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storeNiceOf } from '../scripts/launcher/priority.ts';
import { SupervisedService } from '../scripts/launcher/supervisor.ts';

/** The nice value of a process (field 19 of /proc/<pid>/stat). */
const niceOf = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
};

describe('the vote store at a lower CPU priority (URNA_STORE_NICE)', () => {
  it('reads 0–19 and names the key otherwise', () => {
    expect(storeNiceOf({})).toBe(0);
    expect(storeNiceOf({ URNA_STORE_NICE: '10' })).toBe(10);
    for (const bad of ['-1', '20', 'x', '1.5']) expect(() => storeNiceOf({ URNA_STORE_NICE: bad })).toThrow(/URNA_STORE_NICE/);
  });

  it('a supervised service with `nice` runs at that nice value; one without at its parent’s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'urna-nice-'));
    const spec = { entry: '-', env: {}, healthUrl: 'http://127.0.0.1:1/', command: ['sleep', '30'] };
    const niced = new SupervisedService({ ...spec, name: 'niced', nice: 7 }, dir, { kind: 'file', path: join(dir, 'a.log') });
    const plain = new SupervisedService({ ...spec, name: 'plain' }, dir, { kind: 'file', path: join(dir, 'b.log') });
    niced.start();
    plain.start();
    try {
      const own = niceOf(process.pid);
      await expect.poll(() => niceOf(niced.pid as number)).toBe(Math.min(19, own + 7));
      expect(niceOf(plain.pid as number)).toBe(own);
    } finally {
      await Promise.all([niced.stop(), plain.stop()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
