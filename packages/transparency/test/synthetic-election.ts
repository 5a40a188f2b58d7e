/**
 * A synthetic closed election as urna would export it, built with this package: pseudonymous
 * votes spread over partitions, users voting twice, a close marker in every partition, votes
 * after it, one Merkle log per partition and a signed final checkpoint each. Deterministic for
 * a given seed (the signing key excepted). Used by the verifier's tests and the bench.
 */
import { createHash } from 'node:crypto';
import { signCheckpoint, originOf } from '../src/checkpoint.ts';
import type { ExportRecord } from '../src/export-format.ts';
import { leafHash } from '../src/hash.ts';
import { generateSigner, type NoteSigner } from '../src/keys.ts';
import { formatLeaf, type Leaf } from '../src/leaf.ts';
import { MerkleLog } from '../src/merkle-log.ts';
import { leafSaltOf, pseudonymOf } from '../src/pseudonym.ts';
import { InMemoryTreeStore } from '../src/tree-store.ts';

export interface SyntheticOptions {
  readonly votes: number;
  readonly partitions?: number;
  readonly duplicateRate?: number;
  readonly afterCloseRate?: number;
  readonly options?: readonly string[];
  readonly seed?: number;
  readonly signer?: NoteSigner;
}

export interface SyntheticVote {
  readonly partition: number;
  readonly index: number;
  readonly leaf: string;
  readonly classification: 'counted' | 'duplicate' | 'after-close';
}

export interface SyntheticElection {
  readonly electionId: string;
  readonly signer: NoteSigner;
  readonly records: ExportRecord[];
  readonly votes: SyntheticVote[];
  readonly logs: Map<number, MerkleLog>;
  readonly expected: { accepted: number; counted: number; duplicates: number; afterClose: number; counts: Record<string, number> };
}

/** mulberry32: a small seeded PRNG so a failing run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function syntheticElection(o: SyntheticOptions): Promise<SyntheticElection> {
  const { votes, partitions = 8, duplicateRate = 0.1, afterCloseRate = 0.02, options = ['cats', 'dogs', 'birds', 'fish'], seed = 1 } = o;
  const random = prng(seed);
  const electionId = `synthetic-${seed}`;
  const signer = o.signer ?? generateSigner('urna.example/log');
  const secret = Buffer.from(`pseudonym-secret-${seed}`);
  const saltSecret = Buffer.from(`salt-secret-${seed}`);
  const perPartition = new Map<number, Leaf[]>(Array.from({ length: partitions }, (_, p) => [p, []]));
  const users: string[] = [];
  const counted = new Set<string>();
  const expected = { accepted: 0, counted: 0, duplicates: 0, afterClose: 0, counts: {} as Record<string, number> };
  const classifications = new Map<string, SyntheticVote['classification']>();
  const closeAt = Math.floor(votes * (1 - afterCloseRate));
  const positions = new Array<number>(partitions).fill(0);
  const nextPosition = (p: number): string =>
    String((positions[p] = (positions[p] as number) + 1 + Math.floor(random() * 3))).padStart(20, '0');

  for (let i = 0; i <= votes; i += 1) {
    if (i === closeAt) {
      for (let p = 0; p < partitions; p += 1)
        perPartition.get(p)?.push({ kind: 'close', electionId, partition: p, position: nextPosition(p) });
    }
    if (i === votes) break;
    const again = users.length > 0 && random() < duplicateRate;
    const userId = again ? (users[Math.floor(random() * users.length)] as string) : `user-${seed}-${i}`;
    if (!again) users.push(userId);
    const partition = createHash('sha256').update(userId).digest().readUInt32BE(0) % partitions;
    const voteId = `v${i}`;
    const optionId = options[Math.floor(random() * options.length)] as string;
    const pseudonym = pseudonymOf(secret, userId);
    perPartition.get(partition)?.push({
      kind: 'vote',
      electionId,
      partition,
      position: nextPosition(partition),
      voteId,
      pseudonym,
      optionId,
      salt: leafSaltOf(saltSecret, electionId, voteId),
    });
    expected.accepted += 1;
    let classification: SyntheticVote['classification'];
    if (i >= closeAt) classification = 'after-close';
    else if (counted.has(userId)) classification = 'duplicate';
    else {
      classification = 'counted';
      counted.add(userId);
      expected.counts[optionId] = (expected.counts[optionId] ?? 0) + 1;
    }
    classifications.set(voteId, classification);
    if (classification === 'after-close') expected.afterClose += 1;
    else if (classification === 'duplicate') expected.duplicates += 1;
    else expected.counted += 1;
  }

  const records: ExportRecord[] = [];
  const checkpoints: ExportRecord[] = [];
  const syntheticVotes: SyntheticVote[] = [];
  const logs = new Map<number, MerkleLog>();
  const store = new InMemoryTreeStore();
  for (const [partition, leaves] of perPartition) {
    const texts = leaves.map((leaf) => formatLeaf(leaf));
    const log = new MerkleLog(store, `${electionId}/${partition}`);
    const { size, root } = await log.append(
      texts.map((t) => leafHash(t)),
      leaves[leaves.length - 1]?.position ?? '',
    );
    logs.set(partition, log);
    texts.forEach((leaf, index) => {
      records.push({ type: 'leaf', partition, index, leaf });
      const l = leaves[index] as Leaf;
      if (l.kind === 'vote') syntheticVotes.push({ partition, index, leaf, classification: classifications.get(l.voteId) ?? 'counted' });
    });
    checkpoints.push({
      type: 'checkpoint',
      partition,
      note: signCheckpoint({ origin: originOf(electionId, partition), size, root }, signer),
    });
  }
  records.push(...checkpoints);
  records.push({ type: 'key', name: signer.name, publicKey: signer.publicKey.toString('base64'), vkey: signer.vkey });
  records.push({ type: 'result', electionId, counts: expected.counts, total: expected.counted });
  records.push({
    type: 'reconciliation',
    electionId,
    accepted: expected.accepted,
    counted: expected.counted,
    duplicates: expected.duplicates,
    afterClose: expected.afterClose,
  });
  return { electionId, signer, records, votes: syntheticVotes, logs, expected };
}
