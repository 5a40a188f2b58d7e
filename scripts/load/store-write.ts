// Vote-store write throughput on DynamoDB Local for format-1 items (one per vote), per write mode
// and concurrency: the numbers behind URNA_STORE_WRITE_MODE (pages: scripts/load/store-drain.ts).
// Starts its own DynamoDB Local (file mode unless --memory). Usage: node --import tsx scripts/load/store-write.ts [--votes 10000] [--memory]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { DynamoDbLocal } from '@urna/embedded';
import { createDynamoClient, ensureTables, VoteStore, type WriteMode } from '@urna/store';
import { partitionOf, type LoggedVote } from '@urna/domain';

const { values } = parseArgs({ options: { votes: { type: 'string', default: '10000' }, memory: { type: 'boolean', default: false } } });
const VOTES = Number(values.votes);
const dir = mkdtempSync(join(tmpdir(), 'urna-ddb-bench-'));
const dynamo = await DynamoDbLocal.start(values.memory ? {} : { dataDir: dir });
const client = createDynamoClient({ endpoint: dynamo.endpoint });
await ensureTables(client);

console.log(`DynamoDB Local (${values.memory ? 'in-memory' : 'file'}), ${VOTES} votes per run, 500-vote batches as the worker hands them`);
for (const [mode, concurrency] of [
  ['batch', 1],
  ['batch', 4],
  ['transact', 1],
  ['transact', 4],
  ['transact', 8],
] as Array<[WriteMode, number]>) {
  const store = new VoteStore({ client, format: 'items', mode, concurrency });
  const electionId = `bench-${mode}-${concurrency}`;
  const votes: LoggedVote[] = Array.from({ length: VOTES }, (_, i) => ({
    vote: { voteId: randomUUID(), electionId, userId: `user-${i}`, optionId: 'a', acceptedAt: Date.now() },
    partition: partitionOf(`user-${i}`, 16),
    position: String(i).padStart(12, '0'),
  }));
  const t0 = performance.now();
  for (let i = 0; i < votes.length; i += 500) await store.write(votes.slice(i, i + 500));
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${mode.padEnd(8)} concurrency ${String(concurrency).padEnd(2)} ${Math.round(VOTES / seconds).toLocaleString('en')} votes/s`);
}
client.destroy();
await dynamo.stop();
rmSync(dir, { recursive: true, force: true });
