/**
 * A bad setting stops the stack at once with the services' own message naming the key (a
 * black-box run saw every service restarted in a loop for 60 s, then "not healthy"): a service
 * exits with EX_CONFIG (78) on a ConfigError and the supervisor does not restart it.
 */
import { describe, expect, it } from 'vitest';
import { startTestStack } from './stack.ts';

describe('a bad setting', () => {
  it('URNA_LOG_PARTITIONS=abc: the stack refuses to start within seconds, naming the key, and nothing was restarted in a loop', async () => {
    const started = Date.now();
    const error = await startTestStack({ URNA_LOG_PARTITIONS: 'abc' }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/URNA_LOG_PARTITIONS/);
    expect(error?.message).toMatch(/invalid configuration/);
    expect(Date.now() - started).toBeLessThan(45_000);
  }, 90_000);
});
