/**
 * The load generator is one address (127.0.0.1) standing in for a crowd, so the per-address
 * defences (edge limits, the failed-request budget) are raised for this run and said so; the
 * per-voter rules stay on (each bench voter votes once), and proof-of-work stays off for the
 * bench's elections (its cost is the client's; the verify cost is measured by scripts/load/pow-verify.ts).
 */
export const BENCH_LIMITS = {
  URNA_EDGE_REQ_PER_SEC: '1000000',
  URNA_EDGE_REQ_BURST: '1000000',
  URNA_EDGE_CONN_PER_IP: '60000',
  URNA_EDGE_SSE_PER_IP: '60000',
  URNA_RL_IP_FAILURES: '1000000',
  URNA_CHALLENGE_DEFAULT: 'off',
};

export const describeLimits = (): string =>
  `limits set for a one-address load generator: ${Object.entries(BENCH_LIMITS)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}`;
