import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '@urna/domain';
import { loadConfig } from './config.ts';

/**
 * Failpoints: named places in the projections and the recount where a test makes the process
 * die (or a batch fail) at an exact moment, to show that the moment is safe. Armed only by
 * `URNA_FAILPOINTS` (`name=action,…`), refused outright with `URNA_MODE=production`. Unarmed, a
 * failpoint is one Map lookup.
 *
 * Actions, optionally `@N` (the Nth time this process passes there, default the first):
 * - `crash`: SIGKILL this process (no cleanup, no ack), every time;
 * - `crash-once`: SIGKILL once across restarts (a marker file in URNA_FAILPOINTS_STATE remembers);
 * - `error`: throw, as a failed write would (the batch is redelivered).
 */
export const FAILPOINTS = [
  'live.after-read',
  'live.after-lua',
  'live.before-ack',
  'store.after-read',
  'store.after-write',
  'store.before-ack',
  'transparency.after-read',
  'transparency.before-ack',
  'recount.mid-fold',
  'recount.after-official-write',
] as const;
export type FailpointName = (typeof FAILPOINTS)[number];

interface Armed {
  readonly action: 'crash' | 'crash-once' | 'error';
  readonly at: number;
  hits: number;
}

const armed = new Map<string, Armed>();
let stateDir = '';

const spec = z
  .string()
  .regex(
    new RegExp(
      `^((${FAILPOINTS.join('|').replaceAll('.', '\\.')})=(crash|crash-once|error)(@[1-9]\\d*)?)(,(${FAILPOINTS.join('|').replaceAll('.', '\\.')})=(crash|crash-once|error)(@[1-9]\\d*)?)*$`,
    ),
    `a list of name=action[@N]; names: ${FAILPOINTS.join(' ')}; actions: crash crash-once error`,
  );

export const failpointConfigShape = {
  URNA_MODE: z.enum(['development', 'production']).default('development'),
  URNA_FAILPOINTS: spec.optional(),
  /** Where `crash-once` failpoints leave their marker (kept across restarts of the process). */
  URNA_FAILPOINTS_STATE: z.string().min(1).optional(),
};

/** Reads and arms the failpoints of this process; a production config with failpoints is refused. */
export function armFailpoints(env: NodeJS.ProcessEnv = process.env): ReadonlyMap<string, string> {
  const config = loadConfig(z.object(failpointConfigShape), env);
  armed.clear();
  if (config.URNA_FAILPOINTS === undefined || config.URNA_FAILPOINTS === '') return new Map();
  if (config.URNA_MODE === 'production') throw new ConfigError(['URNA_FAILPOINTS: failpoints cannot be armed with URNA_MODE=production']);
  const out = new Map<string, string>();
  for (const item of config.URNA_FAILPOINTS.split(',')) {
    const [name, rest] = item.split('=') as [string, string];
    const [action, at] = rest.split('@') as [Armed['action'], string | undefined];
    if (action === 'crash-once' && config.URNA_FAILPOINTS_STATE === undefined) {
      throw new ConfigError(['URNA_FAILPOINTS_STATE: required by a crash-once failpoint (a directory kept across restarts)']);
    }
    armed.set(name, { action, at: at === undefined ? 1 : Number(at), hits: 0 });
    out.set(name, rest);
  }
  stateDir = config.URNA_FAILPOINTS_STATE ?? '';
  if (stateDir !== '') mkdirSync(stateDir, { recursive: true });
  return out;
}

/** Passes a failpoint: nothing unless armed; synchronous, so the crash happens exactly here. */
export function failpoint(name: FailpointName): void {
  if (armed.size === 0) return;
  const point = armed.get(name);
  if (point === undefined || ++point.hits !== point.at) return;
  if (point.action === 'error') throw new Error(`failpoint ${name}: injected error`);
  if (point.action === 'crash-once') {
    try {
      closeSync(openSync(join(stateDir, name), 'wx'));
    } catch {
      return; // already crashed here once
    }
  }
  process.kill(process.pid, 'SIGKILL');
}
