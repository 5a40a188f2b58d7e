/**
 * The TreeStore contract (src/tree-store.ts), as a suite every adapter runs with its own
 * factory: write-once nodes, the conditional size move, ordered reads, missing nodes, and trees
 * isolated by id.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TreeStore } from '../src/tree-store.ts';

const h = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);

export function treeStoreContract(name: string, makeStore: () => Promise<TreeStore> | TreeStore): void {
  describe(`TreeStore contract: ${name}`, () => {
    const tree = (): string => `t-${randomUUID()}`;

    it('starts empty with an empty cursor', async () => {
      const store = await makeStore();
      expect(await store.state(tree())).toEqual({ size: 0, cursor: '' });
    });

    it('commits nodes and moves size and cursor; reads nodes back in the order asked', async () => {
      const store = await makeStore();
      const id = tree();
      await store.commit(id, {
        expectedSize: 0,
        newSize: 2,
        cursor: 'p2',
        nodes: [
          { id: { level: 0, index: 0 }, hash: h(1) },
          { id: { level: 0, index: 1 }, hash: h(2) },
          { id: { level: 1, index: 0 }, hash: h(3) },
        ],
      });
      expect(await store.state(id)).toEqual({ size: 2, cursor: 'p2' });
      const got = await store.getNodes(id, [
        { level: 1, index: 0 },
        { level: 0, index: 1 },
        { level: 0, index: 0 },
      ]);
      expect(got.map((x) => Buffer.from(x).toString('hex'))).toEqual([h(3), h(2), h(1)].map((x) => Buffer.from(x).toString('hex')));
    });

    it('a stale expected size changes neither size, cursor nor nodes (TREE_SIZE_CONFLICT)', async () => {
      const store = await makeStore();
      const id = tree();
      await store.commit(id, { expectedSize: 0, newSize: 1, cursor: 'a', nodes: [{ id: { level: 0, index: 0 }, hash: h(1) }] });
      await expect(
        store.commit(id, { expectedSize: 0, newSize: 1, cursor: 'b', nodes: [{ id: { level: 0, index: 0 }, hash: h(1) }] }),
      ).rejects.toMatchObject({ code: 'TREE_SIZE_CONFLICT' });
      expect(await store.state(id)).toEqual({ size: 1, cursor: 'a' });
    });

    it('nodes are write-once: the same bytes again are fine, different bytes fail and keep the old value', async () => {
      const store = await makeStore();
      const id = tree();
      await store.commit(id, { expectedSize: 0, newSize: 1, cursor: 'a', nodes: [{ id: { level: 0, index: 0 }, hash: h(1) }] });
      await expect(
        store.commit(id, {
          expectedSize: 1,
          newSize: 2,
          cursor: 'b',
          nodes: [
            { id: { level: 0, index: 0 }, hash: h(9) },
            { id: { level: 0, index: 1 }, hash: h(2) },
          ],
        }),
      ).rejects.toMatchObject({ code: 'TREE_NODE_CONFLICT' });
      expect(Buffer.from((await store.getNodes(id, [{ level: 0, index: 0 }]))[0] as Uint8Array).equals(h(1))).toBe(true);
      expect(await store.state(id)).toEqual({ size: 1, cursor: 'a' });
      await store.commit(id, {
        expectedSize: 1,
        newSize: 2,
        cursor: 'b',
        nodes: [
          { id: { level: 0, index: 0 }, hash: h(1) },
          { id: { level: 0, index: 1 }, hash: h(2) },
        ],
      });
      expect(await store.state(id)).toEqual({ size: 2, cursor: 'b' });
    });

    it('a node never written is TREE_NODE_MISSING; trees do not see each other', async () => {
      const store = await makeStore();
      const a = tree();
      const b = tree();
      await store.commit(a, { expectedSize: 0, newSize: 1, cursor: 'a', nodes: [{ id: { level: 0, index: 0 }, hash: h(1) }] });
      await expect(store.getNodes(b, [{ level: 0, index: 0 }])).rejects.toMatchObject({ code: 'TREE_NODE_MISSING' });
      expect(await store.state(b)).toEqual({ size: 0, cursor: '' });
    });
  });
}
