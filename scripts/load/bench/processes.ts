import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { cpuSeconds } from '../measure.ts';

/** One process whose CPU a benchmark charges to a server, named for the table. */
export interface ServerProcess {
  readonly pid: number;
  readonly name: string;
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

function parentOf(pid: number): number {
  const stat = readOr(`/proc/${pid}/stat`, '');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? 0);
}

/**
 * A short name for a server process from its command line: the urna service entry
 * (`ingest/src/main.ts` → `ingest`, with URNA_PROJECTION for workers), or the program's base
 * name (`redis-server`, `java` + its main class, `nginx`, `postgres`).
 */
function nameOf(pid: number): string {
  const argv = readOr(`/proc/${pid}/cmdline`, '')
    .split('\0')
    .filter((a) => a.length > 0);
  const entry = argv.find((a) => /(^|\/)src\/main\.ts$/.test(a));
  if (entry !== undefined) {
    const service =
      entry
        .replace(/\/src\/main\.ts$/, '')
        .split('/')
        .at(-1) ?? entry;
    const projection = /(?:^|\0)URNA_PROJECTION=([a-z-]+)/.exec(readOr(`/proc/${pid}/environ`, ''))?.[1];
    return projection === undefined ? service : `${service} (${projection})`;
  }
  const program = (argv[0] ?? '?').split('/').at(-1) ?? '?';
  if (program === 'java') {
    if (argv.some((a) => a.includes('DynamoDBLocal'))) return 'DynamoDB Local';
    if (argv.some((a) => a === 'kafka.Kafka' || a.includes('kafka'))) return 'kafka broker';
  }
  // process titles: `redis-server 127.0.0.1:6380`, `nginx: worker process`
  return (program.split(' ')[0] ?? program).replace(/:$/, '');
}

/** Every live descendant of `root` (children, grandchildren, …), not `root` itself. */
export function descendants(root: number): ServerProcess[] {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const parent = parentOf(pid);
    children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const found: ServerProcess[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    found.push({ pid, name: nameOf(pid) });
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/**
 * The process listening on a loopback TCP port, and its descendants: the whole server behind a
 * URL when it was started elsewhere (the peer's Node process and the PostgreSQL it spawned).
 * Empty when no process of this machine listens there.
 */
export function processesListeningOn(port: number): ServerProcess[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readOr(table, '').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is HEX_IP:HEX_PORT; state 0A = LISTEN; inode is field 9
      if (fields[1]?.endsWith(`:${hexPort}`) === true && fields[3] === '0A' && fields[9] !== undefined) inodes.add(fields[9]);
    }
  }
  if (inodes.size === 0) return [];
  for (const pid of allPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode !== undefined && inodes.has(inode)) return [{ pid, name: nameOf(pid) }, ...descendants(pid)];
    }
  }
  return [];
}

/** CPU seconds of each process so far (0 for one that has exited). */
export function cpuOf(processes: readonly ServerProcess[]): Map<number, number> {
  return new Map(
    processes.map((p) => {
      try {
        return [p.pid, cpuSeconds(p.pid)];
      } catch {
        return [p.pid, 0];
      }
    }),
  );
}

/** CPU seconds used between two readings, summed by process name. */
export function cpuByName(
  processes: readonly ServerProcess[],
  before: Map<number, number>,
  after: Map<number, number>,
): Map<string, number> {
  const byName = new Map<string, number>();
  for (const p of processes) {
    const used = Math.max(0, (after.get(p.pid) ?? 0) - (before.get(p.pid) ?? 0));
    byName.set(p.name, (byName.get(p.name) ?? 0) + used);
  }
  return byName;
}
