import { expect, inject, it } from 'vitest';
import { createKafkaTopic } from '@urna/embedded/kafka';
import { KafkaLog } from '../src/kafka.ts';
import { randomName } from '../../../test/helpers.ts';

/*
 * Start-up refuses a log that is not set up as configured, with LOG_MISCONFIGURED (not the
 * retriable LOG_UNAVAILABLE): a service must not run on a topic that would put users in other
 * partitions than the configuration says, nor write to a topic nobody created. (librdkafka's mock
 * auto-created any topic a metadata request named, so the missing-topic branch was untestable there.)
 */
const connect = (topic: string, partitions: number) =>
  KafkaLog.connect({ brokers: inject('kafkaBrokers').split(','), clientId: 'urna-test', topic, partitions, requestTimeoutMs: 10_000 });

it('a topic that does not exist is refused at start-up with LOG_MISCONFIGURED, and is not created', async () => {
  const topic = randomName('test.missing');
  await expect(connect(topic, 4)).rejects.toMatchObject({
    code: 'LOG_MISCONFIGURED',
    message: expect.stringContaining(`topic ${topic} does not exist`),
  });
  // the check did not create it (auto.create.topics.enable=false on the cluster, and the client asks for none)
  await expect(connect(topic, 1)).rejects.toMatchObject({ code: 'LOG_MISCONFIGURED' });
});

it('a topic with fewer partitions than URNA_LOG_PARTITIONS is refused at start-up with LOG_MISCONFIGURED', async () => {
  const topic = randomName('test.few');
  await createKafkaTopic(inject('kafkaBrokers'), topic, 2);
  await expect(connect(topic, 8)).rejects.toMatchObject({
    code: 'LOG_MISCONFIGURED',
    message: `topic ${topic} has 2 partitions, fewer than URNA_LOG_PARTITIONS=8`,
  });
  const log = await connect(topic, 2);
  await log.close();
});
