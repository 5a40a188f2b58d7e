/**
 * Maps keyed by user-supplied ids (option ids, rejection reasons): objects without a prototype.
 * Option ids such as `__proto__`, `constructor` or `toString` are valid, and on a plain object
 * assigning `__proto__` sets the prototype (the count is lost) while reading a missing
 * `constructor` yields Object's constructor (`undefined ?? 0` no longer applies). JSON.stringify
 * writes a null-prototype object exactly like a plain one.
 */
export function idKeyed<T = number>(entries: Iterable<readonly [string, T]> = []): Record<string, T> {
  const map = Object.create(null) as Record<string, T>;
  for (const [key, value] of entries) map[key] = value;
  return map;
}

/** A count read from any record (e.g. parsed JSON, which has a prototype): its own numeric value, else 0. */
export function countOf(counts: Readonly<Record<string, unknown>>, id: string): number {
  const n = Object.hasOwn(counts, id) ? counts[id] : undefined;
  return typeof n === 'number' ? n : 0;
}
