import { InMemoryVoteLog } from '../src/index.ts';
import { describeVoteLogContract } from './vote-log-contract.ts';

describeVoteLogContract('in memory', async (partitions) => {
  const log = new InMemoryVoteLog({ partitions });
  const others: InMemoryVoteLog[] = [];
  return {
    log,
    reopen: async () => {
      const other = new InMemoryVoteLog({ partitions, store: log.store });
      others.push(other);
      return other;
    },
    cleanup: async () => {
      await Promise.all([log.close(), ...others.map((o) => o.close())]);
    },
  };
});
