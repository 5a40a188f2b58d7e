import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from './errors.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.txt': 'text/plain; charset=utf-8',
};

/** Same-origin only: the pages load nothing from elsewhere and talk only to this origin's API. */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Page routes → built files. */
const PAGES: Record<string, string> = { '/': 'index.html', '/index.html': 'index.html', '/admin': 'admin.html', '/admin.html': 'admin.html' };

interface File { readonly body: Buffer; readonly type: string; readonly immutable: boolean }

/**
 * The built web pages (web/dist), loaded into memory once: a few kilobytes. Hashed assets are
 * cached forever; pages are revalidated so a new build shows at once. Returns false for paths
 * that are not part of the site.
 */
export function staticSite(root: string): (req: IncomingMessage, res: ServerResponse, path: string) => boolean {
  const files = new Map<string, File>();
  if (existsSync(root)) {
    for (const name of readdirSync(root)) if (name.endsWith('.html')) files.set(`/${name}`, { body: readFileSync(join(root, name)), type: TYPES['.html'] as string, immutable: false });
    const assets = join(root, 'assets');
    if (existsSync(assets)) {
      for (const name of readdirSync(assets)) files.set(`/assets/${name}`, { body: readFileSync(join(assets, name)), type: TYPES[extname(name)] ?? 'application/octet-stream', immutable: true });
    }
  }
  return (req, res, path) => {
    const key = PAGES[path] !== undefined ? `/${PAGES[path]}` : path;
    if (PAGES[path] === undefined && !path.startsWith('/assets/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const file = files.get(key);
    if (file === undefined) {
      if (files.size === 0) sendError(res, 'WEB_NOT_BUILT', 'the web pages are not built: run `npm run build -w web`');
      else sendError(res, 'NOT_FOUND', `no file ${path}`);
      return true;
    }
    res.writeHead(200, {
      'content-type': file.type, 'content-length': String(file.body.length),
      'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...SECURITY_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
    return true;
  };
}
