// Shared by the k6 scenarios. Tokens: either a file of pre-minted voting tokens (TOKENS_FILE,
// one per line: `node --import tsx scripts/load/k6/mint-tokens.ts`), or the dev issuer
// (`POST /v1/dev/token`, dev mode only), called once per virtual user.
import http from 'k6/http';

export const BASE = __ENV.BASE_URL || 'http://localhost:8080';
export const ELECTION = __ENV.ELECTION || 'demo';
export const OPTIONS = (__ENV.OPTIONS || 'cats,dogs,parrots').split(',');

const tokens = __ENV.TOKENS_FILE ? open(__ENV.TOKENS_FILE).split('\n').filter((l) => l.length > 0) : [];

/** The n-th voter's token: from the file when given, else minted by the dev issuer. */
export function voterToken(n) {
  if (tokens.length > 0) return tokens[n % tokens.length];
  const res = http.post(`${BASE}/v1/dev/token`, JSON.stringify({ userId: `k6-${n}`, role: 'voter' }), { headers: { 'content-type': 'application/json' }, tags: { name: 'dev-token' } });
  return res.json('token');
}

export function castVote(token, optionId) {
  return http.post(`${BASE}/v1/elections/${ELECTION}/votes`, JSON.stringify({ optionId }), {
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    tags: { name: 'vote' },
    responseCallback: http.expectedStatuses(202),
  });
}
