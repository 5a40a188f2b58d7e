/**
 * FNV-1a 32-bit over the UTF-8 bytes of a string. Stable across processes, languages and
 * releases: the partition of a user, the shard of their DynamoDB item and the bucket of their
 * Redis dedupe marker are all derived from it, so changing it would move users between
 * partitions and break per-user ordering of open elections. Never change it.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  // ASCII (every user id urna accepts): a code unit is the byte, no buffer needed. It runs
  // about 3× per vote (partition, marker bucket, receipt bucket).
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit > 0x7f) return fnv1a32Utf8(text);
    hash ^= unit;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function fnv1a32Utf8(text: string): number {
  let hash = 0x811c9dc5;
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i] as number;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Log partition of a user. The partition count of an open election must never change. */
export const partitionOf = (userId: string, partitions: number): number => fnv1a32(userId) % partitions;

/**
 * Independent spread for storage buckets: a second mix of the hash so that, with power-of-two
 * counts, buckets and partitions do not line up one-to-one.
 */
export function bucketOf(userId: string, buckets: number): number {
  let h = fnv1a32(userId);
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b);
  h ^= h >>> 16;
  return (h >>> 0) % buckets;
}
