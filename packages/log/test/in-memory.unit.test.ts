import { InMemoryVoteLog, RecordSigning, signedVoteLog, type VoteLog } from '../src/index.ts';
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

// the signing wrapper every service uses keeps the log's contract (votes come back as appended)
const key = { id: 'k1', secret: Buffer.alloc(32, 7) };
describeVoteLogContract('in memory, signed', async (partitions) => {
  const bare = new InMemoryVoteLog({ partitions });
  const signing = new RecordSigning(key);
  const others: VoteLog[] = [];
  return {
    log: signedVoteLog(bare, signing),
    reopen: async () => {
      const other = signedVoteLog(new InMemoryVoteLog({ partitions, store: bare.store }), signing);
      others.push(other);
      return other;
    },
    cleanup: async () => {
      await Promise.all([bare.close(), ...others.map((o) => o.close())]);
    },
  };
});
