// The Kafka adapter is not exported here: importing it loads librdkafka's native addon. Import
// `@urna/log/kafka` for it, or let `openVoteLog` load it when URNA_LOG=kafka.
export * from './port.ts';
export * from './errors.ts';
export * from './config.ts';
export * from './open.ts';
export * from './redis-streams.ts';
export * from './partition-leases.ts';
export * from './in-memory.ts';
export { positionOfStreamId } from './redis-fields.ts';
export { positionOfOffset } from './kafka-fields.ts';
export * from './record-signing.ts';
export * from './signed-log.ts';
