/**
 * Checks one partition of an export: leaf indexes 0..n-1, each leaf well-formed and of this
 * election and partition, log positions strictly increasing, exactly one close marker, the
 * final checkpoint signed by the trusted key over exactly these n leaves, then the one-vote
 * rule: per pseudonym the first vote in log order before the close marker counts, later ones
 * are duplicates, and every vote after the marker is after-close. Stops at the first
 * discrepancy, which names the leaf when there is one to name.
 */
import { parseLeaf } from '@urna/transparency/leaf';
import { hashLeaf, openCheckpointNote, parseVkey, TreeHasher } from './crypto.ts';

export interface PartitionInput {
  readonly partition: number;
  readonly electionId: string;
  readonly indices: readonly number[];
  readonly leaves: readonly string[];
  readonly checkpointNote: string | undefined;
  readonly vkey: string;
}

export interface Discrepancy {
  readonly message: string;
  readonly partition: number;
  readonly index?: number;
  readonly leaf?: string;
}

export interface PartitionReport {
  readonly partition: number;
  readonly size: number;
  readonly root?: string;
  readonly accepted: number;
  readonly counted: number;
  readonly duplicates: number;
  readonly afterClose: number;
  readonly counts: Record<string, number>;
  /** Every pseudonym with a vote in this partition (a user's votes all live in one partition). */
  readonly pseudonyms: string[];
  readonly discrepancy?: Discrepancy;
}

/** Counts keyed by option id, without a prototype: `__proto__`, `constructor`, `toString` are ordinary option ids. */
export const byOption = (): Record<string, number> => Object.create(null) as Record<string, number>;

export function checkPartition(input: PartitionInput): PartitionReport {
  const { partition, electionId } = input;
  const report = {
    partition,
    size: input.leaves.length,
    accepted: 0,
    counted: 0,
    duplicates: 0,
    afterClose: 0,
    counts: byOption(),
    pseudonyms: [] as string[],
  };
  const fail = (message: string, index?: number): PartitionReport => ({
    ...report,
    discrepancy: {
      message: `partition ${partition}: ${message}`,
      partition,
      ...(index === undefined ? {} : { index, leaf: byIndex[index] }),
    },
  });

  const byIndex: Array<string | undefined> = new Array(input.indices.length);
  for (const [i, index] of input.indices.entries()) {
    if (!Number.isSafeInteger(index) || index < 0) return fail(`leaf index ${index} is not a non-negative integer`);
    if (index >= input.indices.length) continue; // reported as a gap below
    if (byIndex[index] !== undefined) return fail(`leaf index ${index} appears twice`, index);
    byIndex[index] = input.leaves[i];
  }
  for (let i = 0; i < byIndex.length; i += 1) {
    if (byIndex[i] === undefined)
      return fail(
        `leaf index ${i} is missing (${input.indices.length} leaves, up to index ${input.indices.reduce((a, b) => Math.max(a, b), 0)})`,
      );
  }

  const tree = new TreeHasher();
  const firstVote = new Set<string>();
  let closedAt: number | undefined;
  let lastPosition: string | undefined;
  for (let index = 0; index < byIndex.length; index += 1) {
    const text = byIndex[index] as string;
    let leaf: ReturnType<typeof parseLeaf>;
    try {
      leaf = parseLeaf(text);
    } catch (error) {
      return fail(`leaf ${index} is malformed: ${(error as Error).message}`, index);
    }
    if (leaf.electionId !== electionId) return fail(`leaf ${index} belongs to election ${leaf.electionId}, not ${electionId}`, index);
    if (leaf.partition !== partition) return fail(`leaf ${index} says partition ${leaf.partition}`, index);
    if (lastPosition !== undefined && !(leaf.position > lastPosition)) {
      return fail(`leaf ${index} is out of log order: position ${leaf.position} does not follow ${lastPosition}`, index);
    }
    lastPosition = leaf.position;
    tree.push(hashLeaf(text));
    if (leaf.kind === 'close') {
      if (closedAt !== undefined) return fail(`leaf ${index} is a second close marker (the first is leaf ${closedAt})`, index);
      closedAt = index;
      continue;
    }
    report.accepted += 1;
    if (!firstVote.has(leaf.pseudonym)) report.pseudonyms.push(leaf.pseudonym);
    if (closedAt !== undefined) report.afterClose += 1;
    else if (firstVote.has(leaf.pseudonym)) report.duplicates += 1;
    else {
      report.counted += 1;
      report.counts[leaf.optionId] = (report.counts[leaf.optionId] ?? 0) + 1;
    }
    firstVote.add(leaf.pseudonym);
  }
  if (closedAt === undefined) return fail('has no close marker');

  if (input.checkpointNote === undefined) return fail('has no final checkpoint');
  const opened = openCheckpointNote(input.checkpointNote, parseVkey(input.vkey));
  if (typeof opened === 'string') return fail(`final checkpoint rejected: ${opened}`);
  const origin = `urna/${electionId}/${partition}`;
  if (opened.origin !== origin) return fail(`final checkpoint is for ${opened.origin}, expected ${origin}`);
  if (opened.size !== tree.size) return fail(`final checkpoint covers ${opened.size} leaves, the export has ${tree.size}`);
  const root = tree.root();
  if (!root.equals(opened.root)) {
    return fail(
      `root mismatch: the ${tree.size} leaves hash to ${root.toString('base64')}, the signed checkpoint says ${opened.root.toString('base64')} (a leaf was changed, added, dropped or reordered)`,
    );
  }
  return { ...report, root: root.toString('base64') };
}
