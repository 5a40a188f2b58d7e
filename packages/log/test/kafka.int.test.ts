import { inject } from 'vitest';
import { createKafkaTopic } from '@urna/embedded/kafka';
import { KafkaLog } from '../src/kafka.ts';
import { randomName } from '../../../test/helpers.ts';
import { describeVoteLogContract } from './vote-log-contract.ts';

/*
 * Runs against the run's Kafka cluster: three Apache Kafka 4 brokers in KRaft mode (RF 3,
 * min.insync.replicas 2; see KafkaCluster), or the external cluster named by
 * URNA_TEST_KAFKA_BROKERS. Each test gets its own topic, created through the admin API.
 */
describeVoteLogContract('Kafka', async (partitions) => {
  const brokers = inject('kafkaBrokers');
  const topic = randomName('test.votes');
  await createKafkaTopic(brokers, topic, partitions);
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
