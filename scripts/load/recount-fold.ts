// The official recount's fold rate: votes/s that VoteStore.tally() reads back from DynamoDB
// Local (one paginated Query per store shard, all shards in parallel, no scan), for an
// election of --votes votes (10% duplicates, 2% after the close marker).
// Usage: node --import tsx scripts/load/recount-fold.ts [--votes 200000] [--memory]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { DynamoDbLocal } from '@urna/embedded';
import { createDynamoClient, ensureTables, VoteStore } from '@urna/store';
import { partitionOf, type LoggedCloseMarker, type LoggedVote } from '@urna/domain';

const { values } = parseArgs({ options: { votes: { type: 'string', default: '200000' }, memory: { type: 'boolean', default: false } } });
const VOTES = Number(values.votes);
const PARTITIONS = 16;
const dir = mkdtempSync(join(tmpdir(), 'urna-recount-bench-'));
const dynamo = await DynamoDbLocal.start(values.memory ? {} : { dataDir: dir });
const client = createDynamoClient({ endpoint: dynamo.endpoint });
await ensureTables(client);
const electionId = `fold-${randomUUID().slice(0, 8)}`;
const writer = new VoteStore({ client, mode: 'batch', concurrency: 8, shards: 16 });
const users = Math.round(VOTES * 0.9);
const afterClose = Math.round(VOTES * 0.02);
const votes: LoggedVote[] = Array.from({ length: VOTES }, (_, i) => {
  const userId = `user-${i % users}`;
  return {
    vote: { voteId: randomUUID(), electionId, userId, optionId: ['a', 'b', 'c'][i % 3] as string, acceptedAt: Date.now() },
    partition: partitionOf(userId, PARTITIONS),
    position: String(i).padStart(12, '0'),
  };
});
const markerAt = String(VOTES - afterClose).padStart(12, '0');
const markers: LoggedCloseMarker[] = Array.from({ length: PARTITIONS }, (_, partition) => ({
  marker: { electionId, closedAt: Date.now() },
  partition,
  position: markerAt,
}));
const w0 = performance.now();
for (let i = 0; i < votes.length; i += 2_000) await writer.write(votes.slice(i, i + 2_000));
await writer.write([], markers);
console.log(
  `DynamoDB Local (${values.memory ? 'in-memory' : 'file'}): wrote ${VOTES.toLocaleString('en')} votes in ${((performance.now() - w0) / 1000).toFixed(1)} s`,
);
for (const shards of [16]) {
  const store = new VoteStore({ client, shards });
  for (let run = 1; run <= 2; run++) {
    const t0 = performance.now();
    const fold = await store.tally(electionId);
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `fold run ${run}, ${shards} shards in parallel: ${fold.accepted.toLocaleString('en')} votes (${fold.total} counted, ${fold.duplicates} duplicates, ${fold.afterClose} after close) in ${seconds.toFixed(2)} s = ${Math.round(fold.accepted / seconds).toLocaleString('en')} votes/s`,
    );
  }
}
client.destroy();
await dynamo.stop();
rmSync(dir, { recursive: true, force: true });
