export type Upstream = 'ingest' | 'results' | 'lifecycle';

/**
 * Path → service. Reads of results, reconciliations and a voter's receipts go to the query side
 * (results-sse); votes, sign-in and the log view to the command side (ingest); the elections
 * admin API, audit, jobs, the admin session and the job dashboard (/admin/queues) to the
 * lifecycle service (recount/).
 */
export function routeOf(method: string, path: string): Upstream | undefined {
  if (path === '/admin/queues' || path.startsWith('/admin/queues/')) return 'lifecycle';
  if (!path.startsWith('/v1/')) return undefined;
  if (method === 'GET' && /^\/v1\/elections\/[^/]+\/(results(\/stream)?|votes\/me|reconciliation)$/.test(path)) return 'results';
  if (method === 'GET' && /^\/v1\/admin\/elections\/[^/]+\/results$/.test(path)) return 'results';
  if (method === 'POST' && /^\/v1\/elections\/[^/]+\/votes$/.test(path)) return 'ingest';
  if (/^\/v1\/elections(\/|$)/.test(path) || /^\/v1\/admin\/(elections|jobs|audit|session)(\/|$)/.test(path)) return 'lifecycle';
  return 'ingest';
}
