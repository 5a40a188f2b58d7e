import { afterEach, describe, expect, it } from 'vitest';
import { armFailpoints, ConfigError, failpoint } from '../src/index.ts';

describe('failpoints', () => {
  afterEach(() => armFailpoints({}));

  it('are inert unless armed', () => {
    expect(armFailpoints({}).size).toBe(0);
    expect(() => failpoint('store.after-write')).not.toThrow();
  });

  it('fire at the Nth pass only', () => {
    armFailpoints({ URNA_FAILPOINTS: 'live.after-lua=error@3' });
    expect(() => failpoint('live.after-lua')).not.toThrow();
    expect(() => failpoint('live.after-read')).not.toThrow();
    expect(() => failpoint('live.after-lua')).not.toThrow();
    expect(() => failpoint('live.after-lua')).toThrow('failpoint live.after-lua: injected error');
    expect(() => failpoint('live.after-lua')).not.toThrow();
  });

  it('cannot be armed in production', () => {
    const arm = () => armFailpoints({ URNA_MODE: 'production', URNA_FAILPOINTS: 'store.after-write=crash' });
    expect(arm).toThrow(ConfigError);
    expect(arm).toThrow(/URNA_FAILPOINTS: failpoints cannot be armed with URNA_MODE=production/);
  });

  it('refuse unknown names and actions, naming the key', () => {
    expect(() => armFailpoints({ URNA_FAILPOINTS: 'store.after-wirte=crash' })).toThrow(/URNA_FAILPOINTS: a list of name=action/);
    expect(() => armFailpoints({ URNA_FAILPOINTS: 'store.after-write=explode' })).toThrow(/URNA_FAILPOINTS/);
    expect(() => armFailpoints({ URNA_FAILPOINTS: 'store.after-write=crash-once' })).toThrow(/URNA_FAILPOINTS_STATE: required/);
  });
});
