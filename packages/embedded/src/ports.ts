import { readFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';

/** The kernel's range for outgoing connections' local ports (and for `listen(0)`). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high)) return [low, high];
  } catch {
    // not Linux: fall through to the IANA dynamic range
  }
  return [49_152, 65_535];
}

const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free loopback port for a server this process is about to start. Chosen below the kernel's
 * ephemeral range: a port from `listen(0)` lies inside it, where any outgoing connection (a
 * Kafka client's, say) may take it as its local port between this check and the server's bind,
 * or while a crashed service restarts on it. Never hands the same port out twice.
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  const low = 10_000;
  const high = Math.max(low + 1_000, Math.min(ephemeralLow, 32_768));
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port between ${low} and ${high}`);
}

/** Sends one raw line over TCP and resolves with the first chunk of the answer (or null). */
export function probe(port: number, line: string, timeoutMs = 500): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (value: string | null) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.once('error', () => done(null));
    socket.once('data', (chunk) => done(chunk.toString('utf8')));
    socket.connect(port, '127.0.0.1', () => socket.write(line));
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
}
