import { describe, expect, it } from 'vitest';
import { readWorkerConfig } from '../../../tally-worker/src/config.ts';
import { readIngestConfig } from '../../../ingest/src/config.ts';
import { ConfigError } from '../src/index.ts';

describe('config validation names the bad key', () => {
  it('reports every bad variable by name', () => {
    try {
      readWorkerConfig({ URNA_PROJECTION: 'both', URNA_LOG_PARTITIONS: 'many', URNA_REDIS_URL: 'http://x' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toContain('URNA_PROJECTION');
      expect(message).toContain('URNA_LOG_PARTITIONS');
      expect(message).toContain('URNA_REDIS_URL');
    }
  });

  it('applies defaults and parses partition lists and secrets', () => {
    const worker = readWorkerConfig({ URNA_PROJECTION: 'live', URNA_WORKER_PARTITIONS: '0-2,7' });
    expect(worker.URNA_WORKER_PARTITIONS).toEqual([0, 1, 2, 7]);
    expect(worker.URNA_LOG_PARTITIONS).toBe(16);
    expect(() => readIngestConfig({ URNA_VOTING_TOKEN_SECRET: 'short' })).toThrow(/URNA_VOTING_TOKEN_SECRET/);
    expect(() => readIngestConfig({ URNA_AUTH_JWKS: '{not json' })).toThrow(/URNA_AUTH_JWKS/);
  });
});
