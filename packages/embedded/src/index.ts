export * from './ports.ts';
export * from './redis-server.ts';
export * from './dynamodb-local.ts';
export * from './kafka-dist.ts';
export * from './kafka-cluster.ts';
export { createKafkaTopic, topicLeaders } from './kafka-metadata.ts';
