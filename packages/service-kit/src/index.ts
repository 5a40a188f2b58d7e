export * from './config.ts';
export * from './http.ts';
export * from './metrics.ts';
export * from './lifecycle.ts';
export * from './redis.ts';
export * from './shared-config.ts';
export * from './failpoints.ts';
