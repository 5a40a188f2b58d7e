import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { loadConfig } from '@urna/service-kit';

const EDGE_DIR = resolve(import.meta.dirname, '..');

/** A value spliced into nginx's config: no statement, block, quote or line breaks. */
const token = (pattern: RegExp, hint: string) => z.string().regex(pattern, hint);
const size = token(/^\d+[km]?$/, 'a size such as 16k or 1m');
const duration = token(/^\d+(ms|s|m)?$/, 'a duration such as 10s');
const count = z.coerce.number().int().min(1).max(1_000_000);
/** nginx's limit_conn takes at most 65535. */
const connections = z.coerce.number().int().min(1).max(65_535);
const list = (item: RegExp, hint: string) =>
  z.string().refine((v) => v === '' || v.split(',').every((p) => item.test(p.trim())), `a comma list of ${hint}`);

/**
 * The edge's limits (env keys, zod names the bad key). Defaults are the ones a televote could
 * ship with; the README's "The edge" section gives the reasoning for each.
 */
export const EdgeConfig = z.object({
  /** Requests per second per client address (IPv4 /32, IPv6 /64), with a burst on top. */
  URNA_EDGE_REQ_PER_SEC: count.default(100),
  URNA_EDGE_REQ_BURST: count.default(400),
  /** Open connections per client address (a whole carrier-grade NAT may share one). */
  URNA_EDGE_CONN_PER_IP: connections.default(512),
  /** Open result streams per client address. */
  URNA_EDGE_SSE_PER_IP: connections.default(128),
  URNA_EDGE_MAX_BODY: size.default('16k'),
  /** Time for a client to send its headers, or between two reads of its body (slowloris). */
  URNA_EDGE_CLIENT_TIMEOUT: duration.default('10s'),
  URNA_EDGE_KEEPALIVE_TIMEOUT: duration.default('15s'),
  /** Proxies whose X-Forwarded-For is believed (addresses or CIDRs); none by default. */
  URNA_EDGE_TRUSTED_PROXIES: list(/^[0-9a-fA-F.:]+(\/\d{1,3})?$/, 'addresses or CIDRs').default(''),
  /** Origins allowed to call the API cross-origin; same origin only by default. */
  URNA_EDGE_CORS_ORIGINS: list(/^https?:\/\/[A-Za-z0-9.-]+(:\d+)?$/, 'origins such as https://tv.example.org').default(''),
  URNA_EDGE_WORKERS: token(/^(auto|\d+)$/, 'auto or a number').default('auto'),
});
export type EdgeConfig = z.infer<typeof EdgeConfig>;
export const readEdgeConfig = (env: NodeJS.ProcessEnv = process.env): EdgeConfig => loadConfig(EdgeConfig, env);

/** Placeholders whose value is a comma list: the line is repeated per item, dropped when empty. */
const LIST_KEYS = new Set([
  'URNA_EDGE_TRUSTED_PROXIES',
  'URNA_EDGE_CORS_ORIGINS',
  'URNA_EDGE_INGEST',
  'URNA_EDGE_RESULTS',
  'URNA_EDGE_LIFECYCLE',
]);

/** Fills `${NAME}` placeholders; an unknown placeholder is an error, never left in the config. */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const out: string[] = [];
  for (const line of template.split('\n')) {
    const names = [...line.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1] as string);
    for (const name of names) if (values[name] === undefined) throw new Error(`edge template: no value for \${${name}}`);
    const listed = names.find((name) => LIST_KEYS.has(name));
    const fill = (item?: string) =>
      line.replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => (name === listed && item !== undefined ? item : (values[name] as string)));
    if (listed === undefined) out.push(fill());
    else
      for (const item of (values[listed] as string)
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== ''))
        out.push(fill(item));
  }
  return out.join('\n');
}

export interface EdgeSetup {
  readonly prefix: string;
  /** Listen address: `host:port`. */
  readonly listen: string;
  readonly ingest: readonly string[];
  readonly results: readonly string[];
  /** The lifecycle service (recount/): elections admin, audit, jobs, admin session, /admin/queues. Defaults to ingest's addresses (edge tests without it). */
  readonly lifecycle?: readonly string[];
  readonly webRoot: string;
  readonly config: EdgeConfig;
}

/**
 * Renders urna.conf and the main nginx.conf into `prefix` and returns the command that runs
 * nginx in the foreground there. Checks the rendered config with `nginx -t` first, so a bad
 * value fails once with nginx's own message instead of a restart loop.
 */
export function prepareEdge(setup: EdgeSetup, binary = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx'): readonly string[] {
  for (const dir of ['tmp/body', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi'])
    mkdirSync(join(setup.prefix, dir), { recursive: true });
  const values: Record<string, string> = {
    ...Object.fromEntries(Object.entries(setup.config).map(([k, v]) => [k, String(v)])),
    URNA_EDGE_LISTEN: setup.listen,
    URNA_EDGE_INGEST: setup.ingest.join(','),
    URNA_EDGE_RESULTS: setup.results.join(','),
    URNA_EDGE_LIFECYCLE: (setup.lifecycle ?? setup.ingest).join(','),
    URNA_EDGE_WEB_ROOT: setup.webRoot,
    URNA_EDGE_PREFIX: setup.prefix,
    // as root (CI containers) the workers keep root's identity: the prefix and web root sit in
    // the caller's private directories, which `nobody` cannot read; nginx ignores `user` otherwise
    URNA_EDGE_USER: process.getuid?.() === 0 ? 'user root root;' : '',
  };
  writeFileSync(join(setup.prefix, 'urna.conf'), renderTemplate(readFileSync(join(EDGE_DIR, 'urna.conf.template'), 'utf8'), values));
  writeFileSync(join(setup.prefix, 'nginx.conf'), renderTemplate(readFileSync(join(EDGE_DIR, 'nginx.conf.template'), 'utf8'), values));
  const args = ['-p', setup.prefix, '-c', join(setup.prefix, 'nginx.conf'), '-e', 'stderr'];
  const check = spawnSync(binary, [...args, '-t', '-q'], { encoding: 'utf8' });
  if (check.error !== undefined)
    throw new Error(`edge: cannot run ${binary} (${check.error.message}); install Debian's nginx (npm start does)`);
  if (check.status !== 0)
    throw new Error(`edge: nginx rejects the rendered config ${join(setup.prefix, 'nginx.conf')}:\n${check.stderr.trim()}`);
  return [binary, ...args, '-g', 'daemon off;'];
}
