// The Kafka runner is not exported here: it loads librdkafka's native addon (for its admin
// client), which only Kafka runs build. Import `@urna/embedded/kafka` for it.
export * from './ports.ts';
export * from './redis-server.ts';
export * from './dynamodb-local.ts';
export * from './kafka-dist.ts';
export * from './redis-cluster.ts';
