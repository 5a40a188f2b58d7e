export * from './ports.ts';
export * from './redis-server.ts';
export * from './dynamodb-local.ts';
export * from './kafka-mock.ts';
