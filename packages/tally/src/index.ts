export * from './live-tally.ts';
export * from './keys.ts';
export * from './errors.ts';
export { LuaScript } from './lua-script.ts';
export * from './election-configs.ts';
