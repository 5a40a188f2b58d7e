// Cost of signed log records on one core: ingest's sign per vote, a projection's check per
// vote (split of a 500-record batch, as the worker does), and the parse of a stream entry for
// comparison. `node --import tsx scripts/load/log-signing.ts [votes]`.
import { randomBytes, randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { partitionOf, type LoggedVote, type Vote } from '@urna/domain';
import { RecordSigning } from '@urna/log';
import { parseEntry, voteFields } from '../../packages/log/src/redis-fields.ts';

const N = Number(process.argv[2] ?? 200_000);
const PARTITIONS = 16;
const signing = new RecordSigning({ id: 'k1', secret: randomBytes(32) });
const votes: Vote[] = Array.from({ length: N }, (_, i) => ({
  voteId: randomUUID(),
  electionId: 'tv-final',
  userId: `user-${i}`,
  optionId: i % 2 ? 'a' : 'b',
  acceptedAt: Date.now(),
}));

function perVote(label: string, run: () => void): number {
  run(); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  run();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const us = ((cpu.user + cpu.system) / N).toFixed(2);
  console.log(`${label.padEnd(44)} ${us.padStart(6)} µs CPU/vote  ${((wall * 1000) / N).toFixed(2).padStart(6)} µs wall/vote`);
  return Number(us);
}

let signed: LoggedVote[] = [];
perVote('sign (ingest, per vote)', () => {
  signed = votes.map((vote, i) => ({
    vote: { ...vote, signature: signing.signVote(vote) },
    partition: partitionOf(vote.userId, PARTITIONS),
    position: String(i).padStart(20, '0'),
  }));
});
perVote('check (worker, split of 500-record batches)', () => {
  let valid = 0;
  for (let i = 0; i < signed.length; i += 500) valid += signing.split(signed.slice(i, i + 500), [], PARTITIONS).votes.length;
  if (valid !== N) throw new Error(`only ${valid} of ${N} verified`);
});
const entries = signed.map((r) => voteFields(r.vote));
perVote('for scale: parse of the signed stream entry', () => {
  for (let i = 0; i < entries.length; i++) parseEntry(0, `${i}-0`, entries[i]);
});
console.log(`\n${N.toLocaleString('en')} votes, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, one core`);
