// Transparency log figures on this machine, each next to a ceiling measured in the same run:
// 1. leaves/s the incremental Merkle tree appends on one core (leaf formatting + RFC 9162 leaf
//    hash + tree nodes + in-memory store commit), against the raw SHA-256 rate for the same
//    hashes (one leaf hash + about one node hash per leaf);
// 2. inclusion-proof serving latency from the in-memory store (p50/p99) for a 1M-leaf tree;
// 3. `urna verify` on a synthetic 1M-vote export: wall and CPU time, in-process with 1 and N
//    worker threads and as the CLI a user runs, against the pure hashing time of all leaves.
// 4. the service side on a real redis-server (transparency-service-bench.ts): the projection's
//    leaves/s, proof serving p99 through results-sse, the receipt's signature per vote.
// Usage: node --import tsx scripts/load/transparency-bench.ts [--leaves 1000000] [--votes 1000000] [--projected 200000]
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { formatLeaf, leafHash, MerkleLog, InMemoryTreeStore, toNdjsonLine, verifyInclusion } from '@urna/transparency';
import { syntheticElection } from '../../packages/transparency/test/synthetic-election.ts';
import { verifyExport } from '../verify/verify-export.ts';
import { fmt, percentile } from './measure.ts';
import { benchTransparencyService } from './transparency-service-bench.ts';

const { values } = parseArgs({
  options: {
    leaves: { type: 'string', default: '1000000' },
    votes: { type: 'string', default: '1000000' },
    projected: { type: 'string', default: '200000' },
  },
});
const LEAVES = Number(values.leaves);
const VOTES = Number(values.votes);
const cpuS = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const P = 'ab'.repeat(32);
const SALT = 'cd'.repeat(16);
const leafText = (i: number): string =>
  formatLeaf({
    kind: 'vote',
    electionId: 'bench',
    partition: 0,
    position: String(i).padStart(20, '0'),
    voteId: `v${i}`,
    pseudonym: P,
    optionId: 'cats',
    salt: SALT,
  });

console.log(
  `transparency bench — ${new Date().toISOString()} — ${cpus()[0]?.model ?? '?'} × ${availableParallelism()}, load ${(
    await import('node:os')
  )
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);

// 1. Ceiling: the SHA-256 work of a tree of LEAVES leaves (leaf hashes + n-1 node hashes), one core.
const texts = Array.from({ length: Math.min(LEAVES, 200_000) }, (_, i) => leafText(i));
let t0 = performance.now();
let c0 = cpuS();
const sample = texts.length;
const hashes: Buffer[] = texts.map((t) =>
  createHash('sha256')
    .update(Buffer.from([0]))
    .update(t)
    .digest(),
);
for (let i = 0; i + 1 < sample; i += 1)
  createHash('sha256')
    .update(Buffer.from([1]))
    .update(hashes[i] as Buffer)
    .update(hashes[i + 1] as Buffer)
    .digest();
const ceilingPerCpuS = sample / (cpuS() - c0);
const ceilingPerS = sample / ((performance.now() - t0) / 1000);

c0 = cpuS();
for (let i = 0; i < sample; i += 1) leafText(i);
const formatPerCpuS = sample / (cpuS() - c0);
console.log(`leaf formatting (formatLeaf, validated): ${fmt(formatPerCpuS, 0)} leaves per CPU-s`);

// The tree itself: leaf hash + nodes + commit to the in-memory store (texts reused cyclically).
const log = new MerkleLog(new InMemoryTreeStore(), 'bench/0');
t0 = performance.now();
c0 = cpuS();
for (let from = 0; from < LEAVES; from += 1000) {
  const batch: Buffer[] = [];
  for (let i = from; i < Math.min(LEAVES, from + 1000); i += 1) batch.push(leafHash(texts[i % sample] as string));
  await log.append(batch, String(from));
}
const appendWall = (performance.now() - t0) / 1000;
const appendCpu = cpuS() - c0;
console.log(
  `append: ${LEAVES} leaves in batches of 1000: ${fmt(LEAVES / appendWall, 0)} leaves/s wall, ${fmt(LEAVES / appendCpu, 0)} leaves per CPU-s; ceiling (raw SHA-256 for the same hashes) ${fmt(ceilingPerCpuS, 0)} per CPU-s (${fmt(ceilingPerS, 0)}/s wall) → ratio ${fmt(LEAVES / appendCpu / ceilingPerCpuS, 2)}`,
);

// 2. Proof serving from the in-memory store.
const root = await log.root();
const latencies: number[] = [];
for (let k = 0; k < 5000; k += 1) {
  const index = Math.floor(Math.random() * LEAVES);
  const s = performance.now();
  const proof = await log.inclusionProof(index, LEAVES);
  latencies.push(performance.now() - s);
  if (k % 500 === 0) verifyInclusion(index, LEAVES, leafHash(texts[index % sample] as string), proof, root);
}
console.log(
  `inclusion proof (in-memory store, ${LEAVES} leaves): p50 ${fmt(percentile(latencies, 50), 3)} ms, p99 ${fmt(percentile(latencies, 99), 3)} ms`,
);

// 3. urna verify on a 1M-vote export.
const dir = mkdtempSync(join(tmpdir(), 'urna-verify-bench-'));
try {
  t0 = performance.now();
  const election = await syntheticElection({ votes: VOTES, partitions: 16, seed: 7 });
  const file = join(dir, 'export.ndjson');
  writeFileSync(file, election.records.map(toNdjsonLine).join(''));
  const leafCount = election.records.filter((r) => r.type === 'leaf').length;
  console.log(`synthetic export: ${VOTES} votes, ${leafCount} leaves, 16 partitions, built in ${fmt((performance.now() - t0) / 1000)} s`);
  const hashCeilingS = leafCount / ceilingPerCpuS;
  for (const threads of [1, availableParallelism()]) {
    t0 = performance.now();
    c0 = cpuS();
    const outcome = await verifyExport(file, { key: election.signer.vkey, threads });
    if (!outcome.ok) throw new Error(`verify failed: ${JSON.stringify(outcome.discrepancy)}`);
    const wall = (performance.now() - t0) / 1000;
    console.log(
      `verify in-process, ${threads} thread(s): ${fmt(wall, 2)} s wall, ${fmt(cpuS() - c0, 2)} CPU-s; ceiling (SHA-256 of the tree, one core) ${fmt(hashCeilingS, 2)} CPU-s → CPU ratio ${fmt((cpuS() - c0) / hashCeilingS, 1)}×`,
    );
  }
  t0 = performance.now();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'scripts/verify/main.ts', file, '--key', election.signer.vkey],
    { maxBuffer: 1 << 20 },
  );
  console.log(
    `npm run verify (CLI, ${availableParallelism()} threads): ${fmt((performance.now() - t0) / 1000, 2)} s wall — ${stdout.trim().split('\n').pop() ?? ''}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

await benchTransparencyService(Number(values.projected));
