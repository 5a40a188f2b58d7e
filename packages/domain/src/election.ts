import { z } from 'zod';
import { ElectionId, OptionId } from './ids.ts';
import { DomainErrors } from './errors.ts';

export type ElectionStatus = 'draft' | 'open' | 'closed';

export const ElectionOption = z.strictObject({
  id: OptionId,
  label: z.string().trim().min(1).max(200),
});

export const CreateElectionBody = z
  .strictObject({
    id: ElectionId.optional(),
    title: z.string().trim().min(1).max(200),
    options: z.array(ElectionOption).min(2).max(64),
  })
  .refine((body) => new Set(body.options.map((o) => o.id)).size === body.options.length, {
    message: 'option ids must be unique',
    path: ['options'],
  });
export type CreateElectionBody = z.infer<typeof CreateElectionBody>;

export interface Election {
  readonly id: string;
  readonly title: string;
  readonly options: ReadonlyArray<{ readonly id: string; readonly label: string }>;
  readonly status: ElectionStatus;
  readonly createdAt: string;
  readonly openedAt?: string;
  readonly closedAt?: string;
}

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
