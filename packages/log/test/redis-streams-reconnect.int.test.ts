import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { delay, type LoggedVote } from '@urna/domain';
import { RedisStreamsLog } from '../src/index.ts';
import { eventually, randomName } from '../../../test/helpers.ts';

/**
 * A TCP proxy in front of the test's redis-server that can lose one reply: it drops the next
 * bytes the server sends and cuts both sides, as a connection lost after the server executed a
 * command and before its reply arrived.
 */
async function lossyProxy(target: URL): Promise<{ url: string; loseNextReply: () => void; server: Server }> {
  let lose = false;
  const server = createServer((client: Socket) => {
    const upstream = tcpConnect(Number(target.port), target.hostname);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (!lose) return void client.write(chunk);
      lose = false;
      client.destroy();
      upstream.destroy();
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const url = new URL(target.href);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return { url: url.href, loseNextReply: () => void (lose = true), server };
}

const connections: Redis[] = [];
afterAll(() => {
  for (const c of connections) c.disconnect();
});

describe('Redis Streams consumer across a lost reply', () => {
  it('a `>` read served by the server but lost with the connection is not skipped: records are applied in log order', async () => {
    const url = inject('redisUrl');
    const proxy = await lossyProxy(new URL(url));
    const direct = new Redis(url);
    connections.push(direct);
    const prefix = randomName('test:votes');
    const writer = new RedisStreamsLog({ redis: direct, connect: () => direct.duplicate(), partitions: 1, prefix });
    const reader = new RedisStreamsLog({
      redis: direct,
      connect: () => {
        const c = new Redis(proxy.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
        connections.push(c);
        return c;
      },
      partitions: 1,
      prefix,
    });
    const applied: string[] = [];
    const consumer = await reader.consume(
      { group: randomName('g'), consumer: 'c1', blockMs: 3_000, claimIdleMs: 200 },
      async (records: readonly LoggedVote[]) => void applied.push(...records.map((r) => r.vote.voteId)),
    );
    await delay(500); // the consumer is now blocked in XREADGROUP `>`
    proxy.loseNextReply();
    const vote = (voteId: string) => ({ voteId, electionId: 'e', userId: 'u', optionId: 'a', acceptedAt: 0 });
    await writer.append([vote('first')]); // served to the blocked read; the reply is lost
    await delay(500); // reconnected; the resent read is blocked again
    await writer.append([vote('second')]);
    await eventually('both applied', async () => (applied.includes('first') && applied.includes('second') ? true : undefined), 15_000);
    expect(applied.indexOf('first')).toBeLessThan(applied.indexOf('second'));
    await consumer.stop();
    proxy.server.close();
  }, 30_000);
});
