import { z } from 'zod';
import { ElectionId, OptionId } from './ids.ts';
import { DomainErrors } from './errors.ts';

export type ElectionStatus = 'draft' | 'open' | 'closed';

export const ElectionOption = z.strictObject({
  id: OptionId,
  label: z.string().trim().min(1).max(200),
});

/** Per-election proof-of-work: `pow` makes every vote carry a solved ALTCHA challenge. */
export const ChallengeMode = z.enum(['off', 'pow']);
export type ChallengeMode = z.infer<typeof ChallengeMode>;
/** Cost of a challenge: the largest secret number (ALTCHA `maxnumber`); a client tries half on average. */
export const ChallengeCost = z.number().int().min(1_000).max(10_000_000);
/** An instant in ISO 8601 with a time zone (`Z` or an offset), normalised to UTC. */
export const Instant = z.iso.datetime({ offset: true }).transform((value) => new Date(value).toISOString());

export type ResultsVisibility = 'live' | 'hidden';

export const CreateElectionBody = z
  .strictObject({
    id: ElectionId.optional(),
    title: z.string().trim().min(1).max(200),
    options: z.array(ElectionOption).min(2).max(64),
    /** When omitted: the deployment's default (URNA_CHALLENGE_DEFAULT, URNA_CHALLENGE_COST). */
    challenge: ChallengeMode.optional(),
    challengeCost: ChallengeCost.optional(),
    /** Votes/s ceiling for this election (load shedding: 429 above it); none when omitted. */
    maxVotesPerSecond: z.number().int().min(1).max(10_000_000).optional(),
    opensAt: Instant.optional(),
    closesAt: Instant.optional(),
    resultsVisibility: z.enum(['live', 'hidden']).optional(),
  })
  .refine((body) => new Set(body.options.map((o) => o.id)).size === body.options.length, {
    message: 'option ids must be unique',
    path: ['options'],
  })
  .refine((body) => body.opensAt === undefined || body.closesAt === undefined || body.opensAt < body.closesAt, {
    message: 'closesAt must be after opensAt',
    path: ['closesAt'],
  });
export type CreateElectionBody = z.infer<typeof CreateElectionBody>;

/** A schedule change: `null` removes a time, an absent key keeps it. */
export const ScheduleBody = z
  .strictObject({ opensAt: Instant.nullable().optional(), closesAt: Instant.nullable().optional() })
  .refine((body) => body.opensAt !== undefined || body.closesAt !== undefined, { message: 'give opensAt or closesAt' });
export type ScheduleBody = z.infer<typeof ScheduleBody>;

export interface Election {
  readonly id: string;
  readonly title: string;
  readonly options: ReadonlyArray<{ readonly id: string; readonly label: string }>;
  readonly status: ElectionStatus;
  readonly createdAt: string;
  readonly openedAt?: string;
  readonly closedAt?: string;
  /** Absent on elections created before the setting existed: read as `off`. */
  readonly challenge?: ChallengeMode;
  readonly challengeCost?: number;
  readonly maxVotesPerSecond?: number;
  /** When the scheduler opens it (ISO 8601, UTC). */
  readonly opensAt?: string;
  /** When the scheduler closes it (ISO 8601, UTC). */
  readonly closesAt?: string;
  /** `hidden`: public results carry status and total only, until the official result. Default `live`. */
  readonly resultsVisibility?: ResultsVisibility;
  /** Set when a close began: from then on ingest refuses votes; the close markers decide what counts. */
  readonly closingAt?: string;
}

/** Whether ingest may accept a vote for this election. */
export const acceptsVotes = (election: Election): boolean => election.status === 'open' && election.closingAt === undefined;

export const CastVoteBody = z.strictObject({ optionId: OptionId });
export type CastVoteBody = z.infer<typeof CastVoteBody>;

/** Allowed status changes: draft → open → closed, nothing else. */
export const NEXT_STATUS: Readonly<Record<'open' | 'close', { from: ElectionStatus; to: ElectionStatus }>> = {
  open: { from: 'draft', to: 'open' },
  close: { from: 'open', to: 'closed' },
};

/** Redis channel on which any change of an election's config is announced (cache invalidation). */
export const ELECTION_CHANGED_CHANNEL = 'urna:election-changed';

/** An election id taken from a URL path: a malformed id cannot name an election, so it is a 404. */
export function electionIdFromPath(params: unknown): string {
  const id = (params as { id?: unknown } | undefined)?.id;
  const parsed = ElectionId.safeParse(id);
  if (!parsed.success) throw DomainErrors.electionNotFound(String(id));
  return parsed.data;
}
