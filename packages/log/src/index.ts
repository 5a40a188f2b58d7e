export * from './port.ts';
export * from './errors.ts';
export * from './redis-streams.ts';
export * from './kafka-log.ts';
export { positionOfStreamId } from './redis-fields.ts';
export { positionOfOffset } from './kafka-fields.ts';
