// Entry `@urna/embedded/kafka`: Apache Kafka brokers as child processes; loads @confluentinc/kafka-javascript (a native addon).
export * from './kafka-cluster.ts';
export { createKafkaTopic, topicLeaders } from './kafka-metadata.ts';
