export * from './port.ts';
export * from './errors.ts';
export * from './redis-streams.ts';
export { positionOfStreamId } from './redis-fields.ts';
