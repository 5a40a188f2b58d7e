import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Counter, type Registry } from 'prom-client';
import { sendError } from './errors.ts';
import { routeOf, type Upstream } from './routes.ts';
import { staticSite } from './static-site.ts';

export interface GatewayOptions {
  readonly upstreams: Readonly<Record<Upstream, string>>;
  readonly registry?: Registry;
  /** Directory of the built web pages (web/dist), served at `/` and `/admin`. */
  readonly webRoot?: string;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/**
 * The single origin of the embedded default (a CDN/WAF and an API gateway stand in front of
 * the services in production). It only routes: bodies and SSE streams are piped through
 * unbuffered, and a service that is down is a 503 with Retry-After, not a hang.
 */
export function createGateway(options: GatewayOptions): Server {
  const agent = new Agent({ keepAlive: true, maxSockets: 1_024 });
  const targets = Object.fromEntries(Object.entries(options.upstreams).map(([k, v]) => [k, new URL(v)])) as Record<Upstream, URL>;
  const requests = new Counter({
    name: 'urna_gateway_responses_total', help: 'Responses by upstream and status', labelNames: ['upstream', 'status'],
    registers: options.registry === undefined ? [] : [options.registry],
  });
  const site = options.webRoot === undefined ? undefined : staticSite(options.webRoot);
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    if (path === '/metrics' && options.registry !== undefined) {
      const registry = options.registry;
      void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', service: 'gateway' }));
      return;
    }
    if (site?.(req, res, path) === true) return;
    const upstream = routeOf(req.method ?? 'GET', path);
    res.once('finish', () => requests.inc({ upstream: upstream ?? 'none', status: String(res.statusCode) }));
    if (upstream === undefined) {
      sendError(res, 'NOT_FOUND', `no route ${req.method} ${path}`);
      return;
    }
    const target = targets[upstream];
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    const proxied = httpRequest(
      { agent, hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (upstreamRes) => {
        const out: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(upstreamRes.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
        res.writeHead(upstreamRes.statusCode ?? 502, out);
        if (String(upstreamRes.headers['content-type'] ?? '').startsWith('text/event-stream')) res.flushHeaders();
        upstreamRes.pipe(res);
        res.once('close', () => upstreamRes.destroy());
        // an upstream that dies mid-response (a crashed results-sse under an SSE stream) must
        // cut the client's connection too, or EventSource never learns to reconnect
        upstreamRes.once('close', () => {
          if (!upstreamRes.complete) res.destroy();
        });
      },
    );
    proxied.on('error', () => sendError(res, 'SERVICE_UNAVAILABLE', `${upstream} is unavailable; retry shortly`, 1));
    req.pipe(proxied);
  });
}
