// Measures the per-vote token verification paths (single core, in-process, no HTTP):
// urna voting token (HS256 via node:crypto HMAC) vs identity-provider token (EdDSA via jose).
// Usage: node --import tsx scripts/load/auth-verify.ts
import { createTokenVerifier, DEV_AUDIENCE, DEV_ISSUER, DevIssuer, generateDevKeys, mintVotingToken } from '@urna/auth';
import { randomBytes } from 'node:crypto';

const keys = await generateDevKeys();
const secret = randomBytes(32);
const verifier = createTokenVerifier({ jwks: keys.jwks, issuer: DEV_ISSUER, audience: DEV_AUDIENCE, votingSecret: secret });
const idp = `Bearer ${await (await DevIssuer.fromJwk(keys.privateJwk)).issue({ userId: 'u1', role: 'voter' })}`;
const voting = `Bearer ${mintVotingToken({ userId: 'u1', role: 'voter' }, secret, 600)}`;

async function rate(name: string, header: string, seconds = 2): Promise<number> {
  for (let i = 0; i < 2_000; i++) await verifier.verify(header); // warm-up
  let n = 0;
  const cpu0 = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) await verifier.verify(header);
    n += 200;
  }
  const cpu = process.cpuUsage(cpu0);
  const perCpuSecond = n / ((cpu.user + cpu.system) / 1e6);
  console.log(`${name.padEnd(44)} ${Math.round(perCpuSecond).toLocaleString('en')} verifications per CPU-second`);
  return perCpuSecond;
}

const hs = await rate('voting token, HS256 via node:crypto HMAC', voting);
const ed = await rate('IdP token, EdDSA (Ed25519) via jose', idp);
console.log(`ratio ${(hs / ed).toFixed(1)}×`);
