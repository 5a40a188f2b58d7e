/** The CheckpointStore contract (src/checkpoint-store.ts), run by every adapter. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CheckpointStore } from '../src/checkpoint-store.ts';

const cp = (size: number, byte: number): { size: number; root: Buffer; note: string } => ({
  size,
  root: Buffer.alloc(32, byte),
  note: `urna/e/0\n${size}\n${Buffer.alloc(32, byte).toString('base64')}\n\n— k sig|with|bars\n`,
});

export function checkpointStoreContract(name: string, makeStore: () => CheckpointStore): void {
  describe(`CheckpointStore contract: ${name}`, () => {
    it('publishes the first checkpoint only when none exists, then moves only from the latest size', async () => {
      const store = makeStore();
      const tree = `t-${randomUUID()}`;
      expect(await store.latest(tree)).toBeUndefined();
      await store.publish(tree, cp(3, 1), undefined);
      await expect(store.publish(tree, cp(4, 2), undefined)).rejects.toMatchObject({ code: 'CHECKPOINT_CONFLICT' });
      await expect(store.publish(tree, cp(4, 2), 2)).rejects.toMatchObject({ code: 'CHECKPOINT_CONFLICT' });
      await store.publish(tree, cp(5, 3), 3);
      const latest = await store.latest(tree);
      expect(latest?.size).toBe(5);
      expect(latest?.root.equals(Buffer.alloc(32, 3))).toBe(true);
      expect(latest?.note).toBe(cp(5, 3).note);
      expect((await store.atSize(tree, 3))?.note).toBe(cp(3, 1).note);
      expect(await store.atSize(tree, 4)).toBeUndefined();
    });
  });
}
