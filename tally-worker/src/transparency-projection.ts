import type { LoggedCloseMarker, LoggedVote } from '@urna/domain';
import {
  electionSecretsOf,
  formatLeaf,
  leafHash,
  leafSaltOf,
  publishCheckpoint,
  TransparencyErrors,
  pseudonymOf,
  type ElectionSecrets,
  type MerkleLog,
  type NoteSigner,
  type PublishedCheckpoint,
} from '@urna/transparency';
import { treeIdOf, type RedisElectionLogs } from '@urna/transparency/redis';

export interface TransparencyOptions {
  readonly logs: RedisElectionLogs;
  readonly signer: NoteSigner;
  /** URNA_PSEUDONYM_SECRET: every election's pseudonym and salt secrets derive from it. */
  readonly rootSecret: Uint8Array;
  readonly partitions: number;
  /** Names this log's set of elections awaiting final checkpoints (processes on another log share the Redis). */
  readonly closingScope: string;
  /** The reconciliation the recount published, if any: its presence cuts the final checkpoints. */
  readonly reconciliation: (electionId: string) => Promise<string | undefined>;
  /** A tree that grew is checkpointed within this long (≤ 5 s, docs/transparency.md §5). */
  readonly checkpointIntervalMs?: number;
  readonly now?: () => number;
}

interface Entry {
  readonly position: string;
  readonly vote?: LoggedVote['vote'];
}

interface TreeBatch {
  readonly electionId: string;
  readonly partition: number;
  readonly entries: Entry[];
}

/**
 * The transparency projection: appends every accepted entry of each election — counted or
 * not — and its first close marker as leaves of one RFC 9162 log per (election, partition), in
 * log order. Idempotent: records at or before the tree's cursor (the position of its last
 * leaf, committed with the tree) are skipped, and leaves are a pure function of the log
 * (derived pseudonym and salt), so a redelivered or rebuilt batch writes the same bytes.
 * Checkpoints: at the close marker, then every `checkpointIntervalMs` while a tree grows, and
 * the final one per partition once the official result is published (`tick`).
 */
export class TransparencyProjection {
  readonly name = 'transparency' as const;
  readonly group: string;
  readonly #o: TransparencyOptions;
  readonly #secrets = new Map<string, ElectionSecrets>();
  readonly #trees = new Map<string, MerkleLog>();
  /** Trees appended to since their last checkpoint, with when that checkpoint was signed. */
  readonly #dirty = new Map<string, { electionId: string; partition: number }>();
  readonly #signedAt = new Map<string, number>();
  /** Per election, its partitions' close-marker leaf indexes as last read (re-read after 5 s while a partition has none). */
  readonly #closes = new Map<string, { at: number; indexes: Map<number, number> }>();
  #signing: Promise<unknown> = Promise.resolve();

  constructor(group: string, options: TransparencyOptions) {
    this.group = group;
    this.#o = options;
  }

  /**
   * Records whose log signature failed (reason `forged`) are not entries of any election's log:
   * they never become leaves. The reconciliation names them under `rejected.forged`, so a
   * verifier compares the leaves with `accepted - forged`.
   */
  async reject(): Promise<void> {}

  async apply(records: readonly LoggedVote[], markers: readonly LoggedCloseMarker[]): Promise<void> {
    const trees = new Map<string, TreeBatch>();
    const add = (electionId: string, partition: number, entry: Entry) => {
      const id = treeIdOf(electionId, partition);
      let tree = trees.get(id);
      if (tree === undefined) trees.set(id, (tree = { electionId, partition, entries: [] }));
      tree.entries.push(entry);
    };
    for (const m of markers) add(m.marker.electionId, m.partition, { position: m.position });
    for (const r of records) add(r.vote.electionId, r.partition, { position: r.position, vote: r.vote });
    await Promise.all([...trees.values()].map((tree) => this.#append(tree)));
  }

  async #append({ electionId, partition, entries }: TreeBatch): Promise<void> {
    entries.sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
    const log = this.#tree(electionId, partition);
    const { size, cursor } = await log.state();
    const fresh = entries.filter((e) => e.position > cursor);
    // A record at or before the cursor is normally a redelivery, already a leaf. One that is not
    // arrived out of log order (a takeover by a second member of the group on the Redis log): it
    // can no longer be appended in order, so the batch fails loudly instead of losing it.
    const stale = entries.flatMap((e) => (e.position <= cursor && e.vote !== undefined ? [e.vote.voteId] : []));
    const missing = await this.#o.logs.missingVotes(electionId, stale);
    if (missing.length > 0) throw TransparencyErrors.outOfOrder(treeIdOf(electionId, partition), missing[0] as string, cursor);
    if (fresh.length === 0) return;
    const secrets = this.#secretsOf(electionId);
    const hasClose = fresh.some((e) => e.vote === undefined);
    // only the first close marker of a partition is a leaf (a retried close appends more markers)
    let closeIndex = hasClose
      ? (await this.#o.logs.closeIndexes(electionId)).get(partition)
      : await this.#closeIndexOf(electionId, partition);
    // leaves after a close already in the tree: after-close entries, possibly after the final
    // cut (a vote that reached the log after the recount): the election is watched again (tick)
    const afterClose = closeIndex !== undefined && closeIndex < size;
    const leaves: Array<{ leaf: string; voteId?: string }> = [];
    for (const e of fresh) {
      const index = size + leaves.length;
      if (e.vote === undefined) {
        if (closeIndex !== undefined && closeIndex !== index) continue;
        closeIndex = index;
        leaves.push({ leaf: formatLeaf({ kind: 'close', electionId, partition, position: e.position }) });
      } else {
        const { voteId, userId, optionId } = e.vote;
        const pseudonym = pseudonymOf(secrets.pseudonym, userId);
        const salt = leafSaltOf(secrets.salt, electionId, voteId);
        leaves.push({
          leaf: formatLeaf({ kind: 'vote', electionId, partition, position: e.position, voteId, pseudonym, optionId, salt }),
          voteId,
        });
      }
    }
    const closedHere = closeIndex !== undefined && closeIndex >= size && closeIndex < size + leaves.length;
    if (closedHere || (afterClose && leaves.length > 0)) {
      // before the commit: a crash after it must not lose which leaf is the close
      if (closedHere) await this.#o.logs.setCloseIndex(electionId, partition, closeIndex as number);
      await this.#o.logs.redis.sadd(this.#o.logs.keys.closing(this.#o.closingScope), electionId);
    }
    if (leaves.length > 0) {
      await this.#o.logs.writeLeaves(electionId, partition, size, leaves);
      await log.append(
        leaves.map((l) => leafHash(l.leaf)),
        (fresh[fresh.length - 1] as Entry).position,
      );
      this.#dirty.set(treeIdOf(electionId, partition), { electionId, partition });
    }
    if (closedHere) {
      this.#closes.get(electionId)?.indexes.set(partition, closeIndex as number);
      await this.#checkpoint(log, electionId, partition);
    }
  }

  async #closeIndexOf(electionId: string, partition: number): Promise<number | undefined> {
    const now = (this.#o.now ?? Date.now)();
    let known = this.#closes.get(electionId);
    if (known === undefined || (!known.indexes.has(partition) && now - known.at > 5_000)) {
      this.#closes.set(electionId, (known = { at: now, indexes: await this.#o.logs.closeIndexes(electionId) }));
    }
    return known.indexes.get(partition);
  }

  /**
   * Checkpoints the trees that grew (at most every `checkpointIntervalMs` each), then cuts the
   * final checkpoints of closed elections whose official result is published. Run on a timer.
   */
  async tick(): Promise<void> {
    const now = (this.#o.now ?? Date.now)();
    const interval = this.#o.checkpointIntervalMs ?? 1_000;
    for (const [id, tree] of [...this.#dirty]) {
      if (now - (this.#signedAt.get(id) ?? 0) < interval) continue;
      await this.#checkpoint(this.#tree(tree.electionId, tree.partition), tree.electionId, tree.partition);
    }
    const closingKey = this.#o.logs.keys.closing(this.#o.closingScope);
    for (const electionId of await this.#o.logs.redis.smembers(closingKey)) {
      const reconciliation = await this.#o.reconciliation(electionId);
      if (reconciliation === undefined) continue;
      if (await this.#cutFinal(electionId, reconciliation)) await this.#o.logs.redis.srem(closingKey, electionId);
    }
  }

  /**
   * Cuts (or moves forward) an election's final checkpoints so that each covers exactly the
   * entries the reconciliation counts in its partition (`entries`) plus the close marker; a
   * reconciliation without `entries` (an older recount) takes each tree as it is, once. True
   * when every partition's final checkpoint is cut and no tree holds a leaf beyond it (a
   * late entry the reconciliation does not count yet keeps the election watched).
   */
  async #cutFinal(electionId: string, reconciliation: string): Promise<boolean> {
    const entries = (JSON.parse(reconciliation) as { entries?: Record<string, number> }).entries;
    const [closes, finals] = await Promise.all([this.#o.logs.closeIndexes(electionId), this.#o.logs.finalSizes(electionId)]);
    const advance = new Map<number, number>();
    let done = true;
    for (let p = 0; p < this.#o.partitions; p += 1) {
      if (!closes.has(p)) {
        done = false;
        continue;
      }
      // a fresh reader: another process may own this partition's tree
      const log = this.#o.logs.log(electionId, p);
      const wanted = entries?.[String(p)];
      if (wanted === undefined) {
        if (!finals.has(p)) advance.set(p, (await this.#checkpoint(log, electionId, p)).size);
        continue;
      }
      const target = wanted + 1;
      const { size } = await log.state();
      if (size > target) done = false;
      if ((finals.get(p) ?? -1) >= target) continue;
      const checkpoint =
        size === target
          ? await this.#checkpoint(log, electionId, p)
          : size > target
            ? await this.#o.logs.checkpoints.atSize(treeIdOf(electionId, p), target)
            : undefined; // the tree has not reached what the store folded yet
      if (checkpoint?.size === target) advance.set(p, target);
      else done = false;
    }
    await this.#o.logs.advanceFinalSizes(electionId, advance);
    return done;
  }

  /** Signs (one at a time per process) and publishes a checkpoint at the tree's committed size. */
  #checkpoint(log: MerkleLog, electionId: string, partition: number): Promise<PublishedCheckpoint> {
    const id = treeIdOf(electionId, partition);
    const run = this.#signing.then(async () => {
      this.#dirty.delete(id);
      let checkpoint: PublishedCheckpoint;
      try {
        checkpoint = await publishCheckpoint(log, this.#o.logs.checkpoints, this.#o.signer, electionId, partition);
      } catch (error) {
        this.#dirty.set(id, { electionId, partition }); // tried again at the next tick
        throw error;
      }
      this.#signedAt.set(id, (this.#o.now ?? Date.now)());
      return checkpoint;
    });
    this.#signing = run.catch(() => undefined);
    return run;
  }

  #tree(electionId: string, partition: number): MerkleLog {
    const id = treeIdOf(electionId, partition);
    let log = this.#trees.get(id);
    if (log === undefined) this.#trees.set(id, (log = this.#o.logs.log(electionId, partition)));
    return log;
  }

  #secretsOf(electionId: string): ElectionSecrets {
    let secrets = this.#secrets.get(electionId);
    if (secrets === undefined) this.#secrets.set(electionId, (secrets = electionSecretsOf(this.#o.rootSecret, electionId)));
    return secrets;
  }
}
