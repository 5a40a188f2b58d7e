// Entry `@urna/log/kafka`: loads @confluentinc/kafka-javascript (a native addon).
export * from './kafka-log.ts';
