export type Upstream = 'ingest' | 'results';

/**
 * Path → service. Reads of results and of a voter's receipts go to the query side
 * (results-sse); everything else under /v1 goes to the command side (ingest).
 */
export function routeOf(method: string, path: string): Upstream | undefined {
  if (!path.startsWith('/v1/')) return undefined;
  if (method === 'GET' && /^\/v1\/elections\/[^/]+\/(results(\/stream)?|votes\/me)$/.test(path)) return 'results';
  return 'ingest';
}
