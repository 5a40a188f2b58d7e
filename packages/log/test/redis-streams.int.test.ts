import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { RedisStreamsLog } from '../src/index.ts';
import { randomName } from '../../../test/helpers.ts';
import { describeVoteLogContract } from './vote-log-contract.ts';

describeVoteLogContract('Redis Streams', async (partitions) => {
  const url = inject('redisUrl');
  const prefix = randomName('test:votes');
  const connections: Redis[] = [];
  const connect = () => {
    const c = new Redis(url, { maxRetriesPerRequest: 1 });
    connections.push(c);
    return c;
  };
  const make = () => new RedisStreamsLog({ redis: connect(), connect, partitions, prefix });
  const log = make();
  return {
    log,
    reopen: async () => make(),
    cleanup: async () => {
      await log.close();
      const admin = connect();
      await admin.del(...Array.from({ length: partitions }, (_, p) => log.streamKey(p)));
      for (const c of connections) c.disconnect();
    },
  };
});
