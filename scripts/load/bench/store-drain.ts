import { join } from 'node:path';
import type { RedisStreamsLog } from '@urna/log';
import { DynamoDbLocal } from '@urna/embedded';
import { createDynamoClient, ensureTables, tableNames, VoteStore, type ItemFormat, type WriteMode } from '@urna/store';
import { cpuSeconds } from '../measure.ts';
import { drainWith, storeProjection } from './drain.ts';

/** AWS DynamoDB on-demand, us-east-1, Standard table class (price list since the November 2024 reduction). */
export const ON_DEMAND_USD = { perMillionWriteUnits: 0.625, perMillionReadUnits: 0.125 } as const;

export interface StoreDrainRow {
  readonly dynamo: 'in-memory' | 'file';
  readonly format: ItemFormat;
  readonly mode: WriteMode;
  readonly votesPerSecond: number;
  readonly dynamoCpuPerSecond: number;
  readonly benchCpuPerSecond: number;
  /** DynamoDB Local CPU per vote, µs. */
  readonly dynamoCpuUsPerVote: number;
  /** Billed write units (from item sizes, AWS's formula) per vote; `reportedWriteUnitsPerVote` is what DynamoDB Local's ConsumedCapacity says. */
  readonly writeUnitsPerVote: number;
  readonly reportedWriteUnitsPerVote: number;
  readonly itemsPerVote: number;
  readonly bytesPerItem: number;
  readonly usdPerMillionVotes: number;
  /** The recount's fold of the drained election: ms and read units. */
  readonly foldMs: number;
  readonly foldReadUnits: number;
  /** One user's lookup (votesOf), averaged over 20 users: ms and read units. */
  readonly lookupMs: number;
  readonly lookupReadUnits: number;
}

/** The variants compared in one run: one item per vote (the worker's old default, then the production-recommended batch mode) and pages. */
export const STORE_VARIANTS: ReadonlyArray<{ format: ItemFormat; mode: WriteMode }> = [
  { format: 'items', mode: 'transact' },
  { format: 'items', mode: 'batch' },
  { format: 'pages', mode: 'batch' },
];

/**
 * Drains the same pre-filled log into each variant, back to back, each on a fresh table of one
 * DynamoDB Local per storage mode; write units come from DynamoDB's ConsumedCapacity.
 */
export async function storeDrain(
  log: RedisStreamsLog,
  electionId: string,
  votes: number,
  dataDir: string,
  say: (m: string) => void,
  dynamoModes: ReadonlyArray<'in-memory' | 'file'> = ['in-memory', 'file'],
): Promise<StoreDrainRow[]> {
  const rows: StoreDrainRow[] = [];
  for (const dynamoMode of dynamoModes) {
    const dynamo = await DynamoDbLocal.start(dynamoMode === 'file' ? { dataDir: join(dataDir, 'ddb-file') } : {});
    const client = createDynamoClient({ endpoint: dynamo.endpoint });
    for (const [i, { format, mode }] of STORE_VARIANTS.entries()) {
      say(`store drain: DynamoDB Local ${dynamoMode}, ${format}${format === 'items' ? ` (${mode})` : ''}`);
      const names = tableNames(`drain${i}_`);
      await ensureTables(client, names);
      const store = new VoteStore({ client, table: names.votes, format, mode, logPartitions: log.partitions });
      const cpu0 = cpuSeconds(dynamo.pid as number);
      const own0 = process.cpuUsage();
      const t0 = performance.now();
      const votesPerSecond = await drainWith(log, votes, storeProjection(store));
      const elapsed = (performance.now() - t0) / 1000;
      const dynamoCpu = cpuSeconds(dynamo.pid as number) - cpu0;
      const own = process.cpuUsage(own0);
      const { writeUnits, billedWriteUnits, itemsWritten, bytesWritten, votesWritten } = store.usage;
      const read0 = store.usage.readUnits;
      const f0 = performance.now();
      await store.tally(electionId);
      const foldMs = performance.now() - f0;
      const foldReadUnits = store.usage.readUnits - read0;
      const l0 = performance.now();
      for (let u = 0; u < 20; u++) await store.votesOf(electionId, `user-${u * 997}`);
      rows.push({
        dynamo: dynamoMode,
        format,
        mode,
        votesPerSecond,
        dynamoCpuPerSecond: dynamoCpu / elapsed,
        benchCpuPerSecond: (own.user + own.system) / 1e6 / elapsed,
        dynamoCpuUsPerVote: (dynamoCpu * 1e6) / votesWritten,
        writeUnitsPerVote: billedWriteUnits / votesWritten,
        reportedWriteUnitsPerVote: writeUnits / votesWritten,
        itemsPerVote: itemsWritten / votesWritten,
        bytesPerItem: format === 'pages' ? bytesWritten / itemsWritten : Number.NaN,
        usdPerMillionVotes: (billedWriteUnits / votesWritten) * ON_DEMAND_USD.perMillionWriteUnits,
        foldMs,
        foldReadUnits,
        lookupMs: (performance.now() - l0) / 20,
        lookupReadUnits: (store.usage.readUnits - read0 - foldReadUnits) / 20,
      });
      say(`store drain row: ${JSON.stringify(rows[rows.length - 1])}`);
    }
    client.destroy();
    await dynamo.stop();
  }
  return rows;
}

const f = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '-';

/** The store rows, then the issue-12 goals as ratios within this run (pages vs one item per vote, same DynamoDB Local mode). */
export function formatStoreDrain(rows: readonly StoreDrainRow[]): string {
  const lines = [
    `           vote store      format          votes/s  DDB CPU  urna CPU  DDB µs/vote   WCU/vote (reported)  bytes/page  $/M votes  fold ms  fold RCU  lookup ms  lookup RCU`,
  ];
  for (const r of rows) {
    lines.push(
      `           ${r.dynamo.padEnd(15)} ${(r.format === 'pages' ? 'pages' : `items ${r.mode}`).padEnd(14)} ${f(r.votesPerSecond).padStart(8)} ${`${f(r.dynamoCpuPerSecond * 100)}%`.padStart(8)} ${`${f(r.benchCpuPerSecond * 100)}%`.padStart(9)} ${f(r.dynamoCpuUsPerVote).padStart(12)} ${f(r.writeUnitsPerVote, 3).padStart(10)} ${`(${f(r.reportedWriteUnitsPerVote, 3)})`.padStart(10)} ${f(r.bytesPerItem).padStart(11)} ${f(r.usdPerMillionVotes, 3).padStart(10)} ${f(r.foldMs).padStart(8)} ${f(r.foldReadUnits).padStart(9)} ${f(r.lookupMs, 1).padStart(10)} ${f(r.lookupReadUnits, 1).padStart(11)}`,
    );
  }
  lines.push(
    `           (WCU per vote from item sizes as AWS bills them, per record handed to the store; DynamoDB Local's ConsumedCapacity in brackets, which counts 2 per transaction call; $ at $${ON_DEMAND_USD.perMillionWriteUnits} per million on-demand write units, us-east-1)`,
  );
  for (const dynamo of ['in-memory', 'file'] as const) {
    const pages = rows.find((r) => r.dynamo === dynamo && r.format === 'pages');
    if (pages === undefined) continue;
    for (const before of rows.filter((r) => r.dynamo === dynamo && r.format === 'items')) {
      const wcu = before.writeUnitsPerVote / pages.writeUnitsPerVote;
      const cpu = before.dynamoCpuUsPerVote / pages.dynamoCpuUsPerVote;
      lines.push(
        `           ${dynamo}, pages vs items ${before.mode}: ${pages.writeUnitsPerVote <= 0.1 ? 'met   ' : 'MISSED'} WCU/vote ${f(pages.writeUnitsPerVote, 3)} ≤ 0.1 (${f(wcu, 1)}× fewer); ${cpu >= 5 ? 'met   ' : 'MISSED'} DynamoDB Local CPU/vote down ${f(cpu, 1)}× (goal ≥ 5×); drain ${f(pages.votesPerSecond / before.votesPerSecond, 1)}× votes/s`,
      );
    }
  }
  return lines.join('\n');
}
