import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  isCloseMarker,
  partitionOf,
  type CloseMarker,
  type LoggedCloseMarker,
  type LoggedVote,
  type LogRecord,
  type RejectedRecord,
  type Vote,
} from '@urna/domain';

/** MAC bytes kept of HMAC-SHA256: 128 bits (RFC 2104 §5 allows truncating to half the output). */
const MAC_BYTES = 16;
/** Key ids travel in every record: short, and free of the record separators. */
const KEY_ID = /^[A-Za-z0-9_-]{1,16}$/;

export interface SigningKey {
  readonly id: string;
  /** At least 32 random bytes. */
  readonly secret: Buffer;
}

/**
 * Canonical encoding of a vote: a JSON array of its fields in a fixed order, so no two
 * different records encode alike (JSON escapes every separator an id could carry).
 */
export const canonicalVote = (v: Vote): string =>
  JSON.stringify(['urna-vote-1', v.voteId, v.electionId, v.userId, v.optionId, v.acceptedAt]);

export const canonicalMarker = (m: CloseMarker): string => JSON.stringify(['urna-close-1', m.electionId, m.closedAt]);

/**
 * Signs and checks log records: ingest (and the lifecycle service, for close markers) signs
 * each record it appends with the current key; every projection checks each record it reads
 * against the current key or one of the previous keys (rotation: see README, "Signed log
 * records"). A signature is `<keyId>.<base64url of the first 16 bytes of HMAC-SHA256>`. One
 * HMAC per record, in memory: no round trip.
 */
export class RecordSigning {
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(
    private readonly current: SigningKey,
    previous: readonly SigningKey[] = [],
  ) {
    for (const key of [current, ...previous]) {
      if (!KEY_ID.test(key.id)) throw new RangeError(`log signing key id "${key.id}": 1-16 characters of A-Z a-z 0-9 _ -`);
      if (key.secret.length < 32) throw new RangeError(`log signing key "${key.id}": at least 32 bytes`);
    }
    this.keys = new Map([...previous, current].map((k) => [k.id, k.secret]));
  }

  signVote(vote: Vote): string {
    return `${this.current.id}.${mac(this.current.secret, canonicalVote(vote))}`;
  }

  signMarker(marker: CloseMarker): string {
    return `${this.current.id}.${mac(this.current.secret, canonicalMarker(marker))}`;
  }

  /**
   * Whether a record read from a log of `partitions` partitions carries a valid signature. A
   * vote must also sit in its user's partition: a signed vote copied into another partition
   * would otherwise escape the one-vote rule.
   */
  verify(record: LogRecord, partitions: number): boolean {
    if (isCloseMarker(record)) return this.check(record.marker.signature, canonicalMarker(record.marker));
    return (
      this.check(record.vote.signature, canonicalVote(record.vote)) && partitionOf(record.vote.userId, partitions) === record.partition
    );
  }

  /** Splits a delivered batch into what carries a valid signature and what is rejected `forged`. */
  split(
    votes: readonly LoggedVote[],
    markers: readonly LoggedCloseMarker[],
    partitions: number,
  ): { votes: LoggedVote[]; markers: LoggedCloseMarker[]; rejected: RejectedRecord[] } {
    const rejected: RejectedRecord[] = [];
    const keep = <T extends LogRecord>(list: readonly T[]): T[] => {
      const valid: T[] = [];
      for (const record of list) {
        if (this.verify(record, partitions)) valid.push(record);
        else rejected.push({ record, reason: 'forged' });
      }
      return valid;
    };
    return { votes: keep(votes), markers: keep(markers), rejected };
  }

  private check(signature: string | undefined, canonical: string): boolean {
    if (signature === undefined) return false;
    const dot = signature.indexOf('.');
    const secret = dot > 0 ? this.keys.get(signature.slice(0, dot)) : undefined;
    if (secret === undefined) return false;
    // compare the canonical spelling only: another base64 spelling of the same bytes is refused
    const expected = Buffer.from(mac(secret, canonical));
    const given = Buffer.from(signature.slice(dot + 1));
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

const mac = (secret: Buffer, canonical: string): string =>
  createHmac('sha256', secret).update(canonical).digest().subarray(0, MAC_BYTES).toString('base64url');
