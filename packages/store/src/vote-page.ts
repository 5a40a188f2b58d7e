import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { LoggedVote } from '@urna/domain';
import { StoreErrors } from './errors.ts';

/**
 * Vote pages (item format 2): the votes of one batch for one (election, log partition), sorted
 * by log position, packed into one immutable item.
 *
 *   pk = `<electionId>#p<partition>`       (format-1 items use `<electionId>#<shard>`: no clash)
 *   sk = `<first position>#<last position>#<digest of the payload>`
 *   v  = 2, n = vote count, d = payload (binary)
 *
 * The payload is five columns (voteId, userId, optionId, position, acceptedAt as a delta to the
 * previous vote) joined by \x1f, the columns joined by \x1e, compressed with raw deflate. Ids
 * never contain control characters (domain id rules; voteIds are UUIDs minted by ingest).
 *
 * The key is the log range plus a digest of the content: a redelivered batch cut the same way
 * rewrites the same item with the same bytes; one cut differently becomes another page that
 * overlaps the first. Pages are therefore not disjoint, and readers dedupe by log position (a
 * vote is identified by (partition, position)). The digest keeps two different subsets of one
 * range from overwriting each other.
 */
export const PAGE_FORMAT = 2;
const COL = '\x1e';
const SEP = '\x1f';

/** A vote as read back from the store, either format. */
export interface StoredVote {
  readonly voteId: string;
  readonly userId: string;
  readonly optionId: string;
  /** The log partition (all of a user's votes are in one). */
  readonly partition: number;
  readonly position: string;
  readonly acceptedAt: number;
}

export interface EncodedPage {
  readonly item: Record<string, AttributeValue>;
  readonly votes: number;
  /** Item size as DynamoDB bills it: attribute names plus values. */
  readonly bytes: number;
}

export const pagePartitionKey = (electionId: string, partition: number): string => `${electionId}#p${partition}`;

/** Upper bound of a vote's share of an uncompressed page. */
export const rawSizeOf = ({ vote, position }: LoggedVote): number =>
  vote.voteId.length + vote.userId.length + vote.optionId.length + position.length + 20;

/** Encodes votes of one election and partition, already sorted by position and unique by position. */
export function encodePage(electionId: string, partition: number, votes: readonly LoggedVote[]): EncodedPage {
  const ids: string[] = [];
  const users: string[] = [];
  const options: string[] = [];
  const positions: string[] = [];
  const times: number[] = [];
  let previous = 0;
  for (const { vote, position } of votes) {
    ids.push(vote.voteId);
    users.push(vote.userId);
    options.push(vote.optionId);
    positions.push(position);
    times.push(vote.acceptedAt - previous);
    previous = vote.acceptedAt;
  }
  const raw = [ids.join(SEP), users.join(SEP), options.join(SEP), positions.join(SEP), times.join(SEP)].join(COL);
  const payload = deflateRawSync(raw);
  const digest = createHash('sha256').update(payload).digest('base64url').slice(0, 12);
  const pk = pagePartitionKey(electionId, partition);
  const sk = `${positions[0]}#${positions[positions.length - 1]}#${digest}`;
  const n = String(votes.length);
  const item: Record<string, AttributeValue> = {
    pk: { S: pk },
    sk: { S: sk },
    v: { N: String(PAGE_FORMAT) },
    n: { N: n },
    d: { B: payload },
  };
  const bytes = 2 + pk.length + 2 + sk.length + 1 + 1 + 1 + n.length + 1 + payload.length;
  return { item, votes: votes.length, bytes };
}

/** The votes of a page item of log partition `partition`, in position order. */
export function decodePage(item: Record<string, AttributeValue>, partition: number): StoredVote[] {
  const payload = item.d?.B;
  const n = Number(item.n?.N);
  if (payload === undefined || !Number.isInteger(n)) throw StoreErrors.corruptItem(String(item.sk?.S));
  const columns = inflateRawSync(payload)
    .toString('utf8')
    .split(COL)
    .map((c) => c.split(SEP));
  const [ids, users, options, positions, times] = columns as [string[], string[], string[], string[], string[]];
  if (columns.length !== 5 || columns.some((c) => c.length !== n)) throw StoreErrors.corruptItem(String(item.sk?.S));
  const out: StoredVote[] = new Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    at += Number(times[i]);
    out[i] = {
      voteId: ids[i] as string,
      userId: users[i] as string,
      optionId: options[i] as string,
      partition,
      position: positions[i] as string,
      acceptedAt: at,
    };
  }
  return out;
}

/** The first position of a page, from its sort key. */
export const firstPositionOf = (item: Record<string, AttributeValue>): string => String(item.sk?.S).split('#', 1)[0] as string;

/** The last position of a page, from its sort key. */
export const lastPositionOf = (item: Record<string, AttributeValue>): string => String(item.sk?.S).split('#', 2)[1] as string;

/**
 * Cuts one (election, partition) group, sorted by position, into pages whose uncompressed
 * payload stays under `maxRawBytes` (compressed, a page is never larger than that plus a few
 * bytes, so under DynamoDB's 400 KB item limit for any limit below ~390 KB).
 */
export function cutPages(votes: readonly LoggedVote[], maxRawBytes: number): LoggedVote[][] {
  const pages: LoggedVote[][] = [];
  let current: LoggedVote[] = [];
  let size = 0;
  for (const vote of votes) {
    const s = rawSizeOf(vote);
    if (current.length > 0 && size + s > maxRawBytes) {
      pages.push(current);
      current = [];
      size = 0;
    }
    current.push(vote);
    size += s;
  }
  if (current.length > 0) pages.push(current);
  return pages;
}
