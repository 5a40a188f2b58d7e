// Cost of verifying one ALTCHA proof-of-work on the vote path (ingest/src/abuse/proof-of-work.ts
// verifies like altcha-lib's verifySolution: one SHA-256 of salt+number and one HMAC-SHA-256), per CPU
// second on one core, next to the voting-token check every vote already pays. The Redis SET NX
// that spends the proof rides on the vote's existing Redis round trips and is not included.
// Usage: node --import tsx scripts/load/pow-verify.ts [-- --n 20000]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createChallenge, extractParams, verifySolution } from 'altcha-lib/v1';
import { decodeAltcha as decode, verifyAltcha } from '@urna/ingest';
import { mintVotingToken, verifyVotingToken } from '@urna/auth';

const { values: args } = parseArgs({ options: { n: { type: 'string', default: '20000' } } });
const N = Number(args.n);
const hmacKey = randomBytes(32).toString('base64url');
const payloads: string[] = [];
for (let i = 0; i < N; i++) {
  const c = await createChallenge({
    hmacKey,
    maxNumber: 50_000,
    number: i % 50_000,
    expires: new Date(Date.now() + 600_000),
    params: { e: 'demo', u: `u${i}` },
  });
  payloads.push(
    Buffer.from(
      JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number: i % 50_000, salt: c.salt, signature: c.signature }),
    ).toString('base64'),
  );
}
const secret = randomBytes(32);
const tokens = Array.from({ length: N }, (_, i) => mintVotingToken({ userId: `u${i}`, role: 'voter' }, secret, 600));

const cpu = (fn: () => Promise<void>) => async () => {
  const start = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};
const powSeconds = await cpu(async () => {
  for (const p of payloads) if (!(await verifySolution(p, hmacKey, true))) throw new Error('invalid');
})();
const nodeSeconds = await cpu(async () => {
  for (const p of payloads) {
    const payload = decode(p);
    if (payload === undefined || !verifyAltcha(payload, extractParams(payload), hmacKey)) throw new Error('invalid');
  }
})();
const tokenSeconds = await cpu(async () => {
  for (const t of tokens) verifyVotingToken(t, secret);
})();
console.log(
  `proof-of-work verify (altcha-lib v1, SHA-256): ${((powSeconds * 1e6) / N).toFixed(1)} µs CPU each, ${Math.round(N / powSeconds)} per CPU-second (n=${N})`,
);
console.log(
  `proof-of-work verify (urna, node:crypto):        ${((nodeSeconds * 1e6) / N).toFixed(1)} µs CPU each, ${Math.round(N / nodeSeconds)} per CPU-second (decode + params + verify)`,
);
console.log(
  `voting-token verify (HS256, node:crypto):     ${((tokenSeconds * 1e6) / N).toFixed(1)} µs CPU each, ${Math.round(N / tokenSeconds)} per CPU-second`,
);
