import { describe, expect, it } from 'vitest';
import { fnv1a32, partitionOf } from '../src/hash.ts';

describe('fnv1a32', () => {
  it('gives the same values as the byte-wise reference (partitions of open elections must never move)', () => {
    // reference values computed with the earlier Buffer-based implementation
    expect(['', 'a', 'user-1', 'auth0|abc@x.org', 'Élan', '日本', 'x'.repeat(128)].map(fnv1a32)).toEqual([
      2166136261, 3826002220, 4115888500, 2026836885, 1457725924, 2670128721, 794728389,
    ]);
    expect(fnv1a32('a')).toBe(0xe40c292c); // the published FNV-1a test vector
    expect(partitionOf('user-1', 16)).toBe(fnv1a32('user-1') % 16);
  });
});
