/**
 * A 50,000-vote election with duplicates and votes after the close: every vote's inclusion
 * proof, served from the stored tree, verifies against its partition's signed final
 * checkpoint; and consistency proofs link an earlier checkpoint to the final one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint, originOf } from '../src/checkpoint.ts';
import { leafHash } from '../src/hash.ts';
import { verifierFromVkey } from '../src/keys.ts';
import { parseLeaf } from '../src/leaf.ts';
import { verifyConsistency, verifyInclusion, ProofError } from '../src/verify.ts';
import { syntheticElection, type SyntheticElection } from './synthetic-election.ts';

let election: SyntheticElection;

beforeAll(async () => {
  election = await syntheticElection({ votes: 50_000, partitions: 8, seed: 5 });
}, 120_000);

describe('proofs for a 50,000-vote election', { timeout: 240_000 }, () => {
  it('every vote is provably in its partition under the signed final checkpoint', async () => {
    const verifier = verifierFromVkey(election.signer.vkey);
    const finals = new Map<number, { size: number; root: Uint8Array }>();
    for (const r of election.records) {
      if (r.type === 'checkpoint') finals.set(r.partition, openCheckpoint(r.note, [verifier], originOf(election.electionId, r.partition)));
    }
    let checked = 0;
    for (const vote of election.votes) {
      const final = finals.get(vote.partition) as { size: number; root: Uint8Array };
      const proof = await election.logs.get(vote.partition)?.inclusionProof(vote.index, final.size);
      verifyInclusion(vote.index, final.size, leafHash(vote.leaf), proof ?? [], final.root);
      checked += 1;
    }
    expect(checked).toBe(election.expected.accepted);
  });

  it('a proof does not verify for a leaf with another option, nor at another index', async () => {
    const vote = election.votes.find((v) => v.classification === 'counted') as SyntheticElection['votes'][number];
    const log = election.logs.get(vote.partition);
    const { size } = (await log?.state()) ?? { size: 0 };
    const root = (await log?.root(size)) as Buffer;
    const proof = (await log?.inclusionProof(vote.index, size)) ?? [];
    const leaf = parseLeaf(vote.leaf);
    const other = vote.leaf.replace(`\n${leaf.kind === 'vote' ? leaf.optionId : ''}\n`, '\nzzz\n');
    expect(() => verifyInclusion(vote.index, size, leafHash(other), proof, root)).toThrow(ProofError);
    expect(() => verifyInclusion(vote.index + 1, size, leafHash(vote.leaf), proof, root)).toThrow(ProofError);
  });

  it('consistency proofs link any earlier size to the final tree', async () => {
    const log = election.logs.get(0);
    const { size } = (await log?.state()) ?? { size: 0 };
    const final = (await log?.root(size)) as Buffer;
    for (const earlier of [1, 2, 3, 1000, 1024, size - 1]) {
      verifyConsistency(earlier, size, (await log?.consistencyProof(earlier, size)) ?? [], (await log?.root(earlier)) as Buffer, final);
    }
  });
});
