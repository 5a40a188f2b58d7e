import { Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, inject } from 'vitest';

/*
 * The embedded servers the run's global set-up started exactly as `npm start` starts them
 * (packages/embedded): Redis with a password, protected mode, loopback only and maxmemory with
 * noeviction; DynamoDB Local on loopback only.
 */
const redisUrl = new URL(inject('redisUrl'));
const dynamoUrl = new URL(inject('dynamoEndpoint'));
const clients: Redis[] = [];
afterAll(() => {
  for (const c of clients) c.disconnect();
});

/** This machine's first non-loopback address, if it has one. */
const outside = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && !a.internal && a.family === 'IPv4')?.address;

/** Resolves 'connected' or the connect error's code. */
const connectTo = (host: string, port: number) =>
  new Promise<string>((resolve) => {
    const socket = new Socket();
    socket.setTimeout(3_000, () => (socket.destroy(), resolve('timeout')));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    socket.connect(port, host, () => (socket.destroy(), resolve('connected')));
  });

describe('embedded Redis is locked down', () => {
  it('refuses a client without the password; the URL every service gets carries it', async () => {
    expect(redisUrl.password.length).toBeGreaterThanOrEqual(16);
    const anonymous = new Redis({ host: '127.0.0.1', port: Number(redisUrl.port), lazyConnect: true, maxRetriesPerRequest: 0 });
    anonymous.on('error', () => undefined);
    clients.push(anonymous);
    await expect(anonymous.get('any')).rejects.toThrow(/NOAUTH/);
    const wrong = new Redis({ host: '127.0.0.1', port: Number(redisUrl.port), password: 'not-the-password', maxRetriesPerRequest: 0 });
    wrong.on('error', () => undefined);
    clients.push(wrong);
    await expect(wrong.ping()).rejects.toThrow(/WRONGPASS|NOAUTH|invalid/i);
    const authorised = new Redis(redisUrl.href);
    clients.push(authorised);
    expect(await authorised.ping()).toBe('PONG');
  });

  it('runs protected-mode yes, bound to loopback, with maxmemory and noeviction', async () => {
    const redis = new Redis(redisUrl.href);
    clients.push(redis);
    const config = async (key: string) => ((await redis.config('GET', key)) as string[])[1];
    expect(await config('protected-mode')).toBe('yes');
    expect(await config('bind')).toBe('127.0.0.1');
    expect(Number(await config('maxmemory'))).toBeGreaterThan(0);
    expect(await config('maxmemory-policy')).toBe('noeviction');
  });
});

describe.skipIf(outside === undefined)(`not reachable on this machine's non-loopback address (${outside})`, () => {
  it('Redis and DynamoDB Local answer on 127.0.0.1 and refuse connections on the other address', async () => {
    expect(await connectTo('127.0.0.1', Number(redisUrl.port))).toBe('connected');
    expect(await connectTo('127.0.0.1', Number(dynamoUrl.port))).toBe('connected');
    expect(await connectTo(outside as string, Number(redisUrl.port))).toBe('ECONNREFUSED');
    expect(await connectTo(outside as string, Number(dynamoUrl.port))).toBe('ECONNREFUSED');
  });
});
