import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { readWorkerConfig } from '@urna/tally-worker';
import { readIngestConfig } from '@urna/ingest';
import { ConfigError } from '../src/index.ts';

const noRedis = { redis: () => expect.unreachable(), connect: () => expect.unreachable() };

describe('config validation names the bad key', () => {
  it('reports every bad variable by name', () => {
    try {
      readWorkerConfig({ URNA_PROJECTION: 'both', URNA_LOG_PARTITIONS: 'many', URNA_REDIS_URL: 'http://x' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toContain('URNA_PROJECTION');
      expect(message).toContain('URNA_LOG_PARTITIONS');
      expect(message).toContain('URNA_REDIS_URL');
    }
  });

  it('applies defaults and parses partition lists and secrets', () => {
    const worker = readWorkerConfig({ URNA_PROJECTION: 'live', URNA_WORKER_PARTITIONS: '0-2,7' });
    expect(worker.URNA_WORKER_PARTITIONS).toEqual([0, 1, 2, 7]);
    expect(worker.URNA_LOG_PARTITIONS).toBe(16);
    expect(() => readIngestConfig({ URNA_VOTING_TOKEN_SECRET: 'short' })).toThrow(/URNA_VOTING_TOKEN_SECRET/);
    expect(() => readIngestConfig({ URNA_AUTH_JWKS: '{not json' })).toThrow(/URNA_AUTH_JWKS/);
  });

  it('checks the log selection across keys: Kafka needs brokers, and assigns partitions itself', async () => {
    expect(() => readIngestConfig({ URNA_LOG: 'kafka' })).toThrow(/URNA_KAFKA_BROKERS: required when URNA_LOG=kafka/);
    expect(() => readIngestConfig({ URNA_LOG: 'rabbit' })).toThrow(/URNA_LOG/);
    expect(() =>
      readWorkerConfig({ URNA_PROJECTION: 'live', URNA_LOG: 'kafka', URNA_KAFKA_BROKERS: 'b:9092', URNA_WORKER_PARTITIONS: '0-3' }),
    ).toThrow(/URNA_WORKER_PARTITIONS/);
    expect(() => readIngestConfig({ URNA_LOG: 'kafka', URNA_KAFKA_BROKERS: 'b:9092', URNA_KAFKA_SASL_MECHANISM: 'PLAIN' })).toThrow(
      /URNA_KAFKA_SASL_USERNAME/,
    );
    const config = readIngestConfig({ URNA_LOG: 'kafka', URNA_KAFKA_BROKERS: 'a:9092, b:9092' });
    expect(config.URNA_KAFKA_BROKERS).toEqual(['a:9092', 'b:9092']);
    expect(config.URNA_KAFKA_TOPIC).toBe('urna.votes');
    // a topic with fewer partitions than configured is refused at start-up, naming both (the
    // missing-topic branch: packages/log/test/kafka-misconfigured.int.test.ts)
    const { openVoteLog } = await import('@urna/log');
    const { createKafkaTopic } = await import('@urna/embedded/kafka');
    const brokers = inject('kafkaBrokers');
    const topic = `four-partitions-${Date.now()}`;
    await createKafkaTopic(brokers, topic, 4);
    const kafkaEnv = { URNA_LOG: 'kafka', URNA_KAFKA_BROKERS: brokers, URNA_KAFKA_TOPIC: topic, URNA_LOG_PARTITIONS: '8' };
    // no service opens the log without the key that signs and checks its records
    await expect(openVoteLog(readIngestConfig(kafkaEnv), 'ingest', noRedis)).rejects.toThrow(/URNA_LOG_SIGNING_KEY: required/);
    expect(() => readIngestConfig({ URNA_LOG_SIGNING_KEY: 'short' })).toThrow(/URNA_LOG_SIGNING_KEY/);
    expect(() => readIngestConfig({ URNA_LOG_SIGNING_PREVIOUS_KEYS: 'k0' })).toThrow(/URNA_LOG_SIGNING_PREVIOUS_KEYS/);
    const signingKey = randomBytes(32).toString('base64url');
    await expect(openVoteLog(readIngestConfig({ ...kafkaEnv, URNA_LOG_SIGNING_KEY: signingKey }), 'ingest', noRedis)).rejects.toThrow(
      `topic ${topic} has 4 partitions, fewer than URNA_LOG_PARTITIONS=8`,
    );
  });
});
