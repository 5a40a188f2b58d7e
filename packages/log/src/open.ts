import type { Redis } from 'ioredis';
import { checkLogConfig, recordSigningOf, type LogConfig } from './config.ts';
import { signedVoteLog } from './signed-log.ts';
import type { VoteLog } from './port.ts';
import { RedisStreamsLog } from './redis-streams.ts';

/** How the Redis log connects; only called when URNA_LOG=redis. */
export interface RedisLogConnections {
  /** The connection appends and admin commands use: fail-fast for ingest (a Redis outage is a quick 503), patient for workers. */
  readonly redis: () => Redis;
  /** A dedicated connection for each consumer's blocking reads. */
  readonly connect: () => Redis;
}

/**
 * Opens the configured log, signed (signedVoteLog): what this process appends is signed with
 * URNA_LOG_SIGNING_KEY, and what it consumes is checked, so it refuses to start without a key. The Kafka adapter is imported here and only for URNA_LOG=kafka, so
 * a process on the Redis log never loads librdkafka's native addon (nor needs it built).
 */
export async function openVoteLog(config: LogConfig, role: 'ingest' | 'worker', connections: RedisLogConnections): Promise<VoteLog> {
  checkLogConfig(config);
  const signing = recordSigningOf(config);
  return signedVoteLog(await openBareLog(config, role, connections), signing);
}

async function openBareLog(config: LogConfig, role: 'ingest' | 'worker', connections: RedisLogConnections): Promise<VoteLog> {
  if (config.URNA_LOG === 'redis') {
    const redis = connections.redis();
    const log = new RedisStreamsLog({
      redis,
      connect: connections.connect,
      partitions: config.URNA_LOG_PARTITIONS,
      prefix: config.URNA_LOG_PREFIX,
    });
    return {
      partitions: log.partitions,
      append: (votes) => log.append(votes),
      appendCloseMarker: (electionId, closedAt, signature) => log.appendCloseMarker(electionId, closedAt, signature),
      consume: (options, handler) => log.consume(options, handler),
      backlog: (group) => log.backlog(group),
      close: async () => {
        await log.close();
        redis.disconnect();
      },
    };
  }
  const security: Record<string, string> = { 'security.protocol': config.URNA_KAFKA_SECURITY_PROTOCOL };
  if (config.URNA_KAFKA_SASL_MECHANISM !== undefined) {
    security['sasl.mechanism'] = config.URNA_KAFKA_SASL_MECHANISM;
    security['sasl.username'] = config.URNA_KAFKA_SASL_USERNAME ?? '';
    security['sasl.password'] = config.URNA_KAFKA_SASL_PASSWORD ?? '';
  }
  const { KafkaLog } = await import('./kafka-log.ts');
  return KafkaLog.connect({
    brokers: config.URNA_KAFKA_BROKERS ?? [],
    topic: config.URNA_KAFKA_TOPIC,
    partitions: config.URNA_LOG_PARTITIONS,
    clientId: `${config.URNA_KAFKA_CLIENT_ID}-${role}`,
    groupPrefix: config.URNA_KAFKA_GROUP_PREFIX,
    lingerMs: config.URNA_KAFKA_LINGER_MS,
    messageTimeoutMs: config.URNA_KAFKA_MESSAGE_TIMEOUT_MS,
    sessionTimeoutMs: config.URNA_KAFKA_SESSION_TIMEOUT_MS,
    fetchMaxWaitMs: config.URNA_KAFKA_FETCH_MAX_WAIT_MS,
    compression: config.URNA_KAFKA_COMPRESSION,
    librdkafka: security,
  });
}
