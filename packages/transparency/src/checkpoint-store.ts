/**
 * Published checkpoints of each tree, and the rule that makes them safe to publish: a log
 * never signs two checkpoints that are not consistent, in particular never two roots for one
 * size. The store keeps every published checkpoint (consistency proofs are served between
 * published sizes) and moves "latest" only with a conditional write, so two publishers racing
 * cannot both sign; the loser gets CHECKPOINT_CONFLICT and reads the winner's.
 * Redis: `SET latest` in a Lua script comparing the stored size; DynamoDB: a put with
 * `ConditionExpression: size = :previous` (or attribute_not_exists for the first).
 */
import { TransparencyErrors } from './errors.ts';
import { originOf, signCheckpoint } from './checkpoint.ts';
import type { NoteSigner } from './keys.ts';
import type { MerkleLog } from './merkle-log.ts';
import { verifyConsistency } from './verify.ts';

export interface PublishedCheckpoint {
  readonly size: number;
  readonly root: Buffer;
  readonly note: string;
}

export interface CheckpointStore {
  latest(treeId: string): Promise<PublishedCheckpoint | undefined>;
  atSize(treeId: string, size: number): Promise<PublishedCheckpoint | undefined>;
  /** Stores `next` as latest iff the latest size is still `previousSize` (undefined: none yet). */
  publish(treeId: string, next: PublishedCheckpoint, previousSize: number | undefined): Promise<void>;
}

export class InMemoryCheckpointStore implements CheckpointStore {
  readonly #trees = new Map<string, { latest: PublishedCheckpoint; bySize: Map<number, PublishedCheckpoint> }>();

  async latest(treeId: string): Promise<PublishedCheckpoint | undefined> {
    return this.#trees.get(treeId)?.latest;
  }

  async atSize(treeId: string, size: number): Promise<PublishedCheckpoint | undefined> {
    return this.#trees.get(treeId)?.bySize.get(size);
  }

  async publish(treeId: string, next: PublishedCheckpoint, previousSize: number | undefined): Promise<void> {
    const tree = this.#trees.get(treeId);
    if (tree?.latest.size !== previousSize) {
      throw TransparencyErrors.checkpointConflict(treeId, `latest is ${String(tree?.latest.size)}, expected ${String(previousSize)}`);
    }
    if (tree === undefined) this.#trees.set(treeId, { latest: next, bySize: new Map([[next.size, next]]) });
    else {
      tree.latest = next;
      tree.bySize.set(next.size, next);
    }
  }
}

/**
 * Signs and publishes a checkpoint of `log` at its committed size, unless the latest published
 * one already has that size (then returns it: nothing is signed twice). Before signing it
 * checks, with a consistency proof from the tree, that the new root extends the latest
 * published root, so a corrupted store cannot make urna sign a fork.
 */
export async function publishCheckpoint(
  log: MerkleLog,
  store: CheckpointStore,
  signer: NoteSigner,
  electionId: string,
  partition: number,
): Promise<PublishedCheckpoint> {
  const { size } = await log.state();
  const latest = await store.latest(log.treeId);
  if (latest !== undefined && latest.size >= size) {
    if (latest.size > size)
      throw TransparencyErrors.checkpointConflict(log.treeId, `published size ${latest.size} is ahead of the tree (${size})`);
    return latest;
  }
  const root = await log.root(size);
  if (latest !== undefined) {
    const proof = await log.consistencyProof(latest.size, size);
    verifyConsistency(latest.size, size, proof, latest.root, root);
  }
  const note = signCheckpoint({ origin: originOf(electionId, partition), size, root }, signer);
  const next: PublishedCheckpoint = { size, root, note };
  await store.publish(log.treeId, next, latest?.size);
  return next;
}
