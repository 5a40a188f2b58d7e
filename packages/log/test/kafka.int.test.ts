import { inject } from 'vitest';
import { createMockTopic } from '@urna/embedded';
import { KafkaLog } from '../src/kafka.ts';
import { randomName } from '../../../test/helpers.ts';
import { describeVoteLogContract } from './vote-log-contract.ts';

/*
 * Runs against librdkafka's mock cluster (3 in-memory brokers in a kcat process). What that
 * shows: the producer (idempotent, acks=all), explicit partitioning, consumer groups with
 * rebalances, committed offsets and watermarks all work through the real client library.
 * What it cannot show: durability on disk or across broker failures, CreateTopics (topics are
 * auto-created here with 4 partitions), retention beyond ~5 MB per partition (older messages
 * vanish silently, so every test stays far below), and transactions (aborted ones are not
 * filtered; urna does not use transactions).
 */
describeVoteLogContract('Kafka (librdkafka mock cluster)', async (partitions) => {
  const brokers = inject('kafkaBrokers');
  const topic = randomName('test.votes');
  await createMockTopic(brokers, topic);
  const open = () => KafkaLog.connect({ brokers: brokers.split(','), clientId: 'urna-test', topic, partitions, sessionTimeoutMs: 6_000 });
  const log = await open();
  const others: KafkaLog[] = [];
  return {
    log,
    reopen: async () => {
      const other = await open();
      others.push(other);
      return other;
    },
    cleanup: async () => {
      await Promise.all([log.close(), ...others.map((o) => o.close())]);
    },
  };
});
