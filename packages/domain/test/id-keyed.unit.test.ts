import { describe, expect, it } from 'vitest';
import { countOf, idKeyed } from '../src/id-keyed.ts';

const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'];

describe('idKeyed', () => {
  it('keeps ids named after Object.prototype members as ordinary keys, and JSON writes them like a plain object', () => {
    const counts = idKeyed<number>();
    for (const id of PROTOTYPE_NAMES) counts[id] = (counts[id] ?? 0) + 1;
    counts['__proto__'] = (counts['__proto__'] ?? 0) + 1;
    expect(Object.keys(counts)).toEqual(PROTOTYPE_NAMES);
    expect(JSON.stringify(counts)).toBe('{"__proto__":2,"constructor":1,"toString":1,"valueOf":1,"hasOwnProperty":1,"isPrototypeOf":1}');
    expect(JSON.stringify(idKeyed([['__proto__', 3]]))).toBe('{"__proto__":3}');
  });
});

describe('countOf', () => {
  it('reads only own numeric counts: a missing id is 0, not an inherited member', () => {
    const parsed = JSON.parse('{"__proto__":2,"a":1}') as Record<string, number>;
    expect(PROTOTYPE_NAMES.map((id) => countOf(parsed, id))).toEqual([2, 0, 0, 0, 0, 0]);
    expect(countOf({}, 'constructor')).toBe(0);
    expect(countOf(parsed, 'a')).toBe(1);
  });
});
