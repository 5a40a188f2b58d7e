// Writes N urna voting tokens (one per line) for k6's TOKENS_FILE, signed with the stack's
// voting-token secret (npm start keeps it in .urna/secrets.json). Minting in k6 per VU would
// otherwise make the dev issuer part of the load.
// Usage: node --import tsx scripts/load/k6/mint-tokens.ts [N=100000] [out=.urna/k6-tokens.txt]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mintVotingToken } from '@urna/auth';
import { REPO_ROOT } from '../../launcher/stack.ts';

const count = Number(process.argv[2] ?? 100_000);
const out = process.argv[3] ?? join(REPO_ROOT, '.urna', 'k6-tokens.txt');
const secrets = JSON.parse(readFileSync(join(process.env.URNA_DATA_DIR ?? join(REPO_ROOT, '.urna'), 'secrets.json'), 'utf8')) as { votingSecret: string };
const secret = Buffer.from(secrets.votingSecret, 'base64url');
const ttl = 4 * 3600;
writeFileSync(out, Array.from({ length: count }, (_, i) => mintVotingToken({ userId: `k6-${i}`, role: 'voter' }, secret, ttl)).join('\n'));
console.log(`${count} tokens (valid ${ttl / 3600} h) → ${out}`);
