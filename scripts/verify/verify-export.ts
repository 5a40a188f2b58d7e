/**
 * `urna verify`: checks an export end to end without trusting urna's databases. Partitions are
 * checked in parallel on worker_threads (partition-check.ts); this file picks the key, spreads
 * the partitions, then checks what spans partitions: one pseudonym per partition, the counts
 * against the published official result and the reconciliation figures.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { parseVkey } from './crypto.ts';
import { readExport } from './export-reader.ts';
import { byOption, checkPartition, type Discrepancy, type PartitionInput, type PartitionReport } from './partition-check.ts';

export interface VerifyOptions {
  /** Pinned verifier key (vkey). Without it the export's own key record is used. */
  readonly key?: string;
  /** Worker threads; 1 checks in this thread. Default: available parallelism. */
  readonly threads?: number;
}

export interface Totals {
  readonly accepted: number;
  readonly counted: number;
  readonly duplicates: number;
  readonly afterClose: number;
  readonly counts: Record<string, number>;
}

export type Outcome =
  | {
      readonly ok: true;
      readonly electionId: string;
      readonly partitions: number;
      readonly leaves: number;
      readonly keyNote: string;
      readonly totals: Totals;
      /** The export carried a commitment (hidden results) and it opened to the published result. */
      readonly committed: boolean;
    }
  | { readonly ok: false; readonly keyNote?: string; readonly discrepancy: Discrepancy | { readonly message: string } };

const failure = (message: string, keyNote?: string): Outcome => ({
  ok: false,
  discrepancy: { message },
  ...(keyNote === undefined ? {} : { keyNote }),
});

async function runWorkers(inputs: PartitionInput[], threads: number): Promise<PartitionReport[]> {
  if (threads <= 1) return inputs.map((input) => checkPartition(input));
  const groups: PartitionInput[][] = Array.from({ length: threads }, () => []);
  const load = new Array<number>(threads).fill(0);
  for (const input of [...inputs].sort((a, b) => b.leaves.length - a.leaves.length)) {
    const lightest = load.indexOf(Math.min(...load));
    (groups[lightest] as PartitionInput[]).push(input);
    load[lightest] = (load[lightest] as number) + input.leaves.length + 1;
  }
  const reports = await Promise.all(
    groups
      .filter((g) => g.length > 0)
      .map(
        (group) =>
          new Promise<PartitionReport[]>((resolve, reject) => {
            const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url));
            worker.once('message', (r: PartitionReport[]) => {
              resolve(r);
              void worker.terminate();
            });
            worker.once('error', reject);
            worker.postMessage(group);
          }),
      ),
  );
  return reports.flat();
}

function resultCounts(result: Record<string, unknown>): Record<string, number> | undefined {
  const counts = result.counts;
  if (Array.isArray(counts)) {
    const out = byOption();
    for (const c of counts as Array<Record<string, unknown>>) {
      if (typeof c?.optionId !== 'string' || typeof c.count !== 'number') return undefined;
      out[c.optionId] = c.count;
    }
    return out;
  }
  if (counts === null || typeof counts !== 'object') return undefined;
  const out = byOption();
  for (const [option, n] of Object.entries(counts as Record<string, unknown>)) if (typeof n === 'number') out[option] = n;
  return out;
}

/**
 * Commit before reveal: the commitment must open to the nonce and the committed bytes, and the
 * committed result must be the published one (same counts and total). Undefined when it holds.
 */
export function commitmentProblem(
  record: Record<string, unknown>,
  electionId: string,
  published: Record<string, number>,
  total: unknown,
): string | undefined {
  const { commitment, nonce, result, reconciliation } = record;
  if (typeof commitment !== 'string' || typeof nonce !== 'string' || typeof result !== 'string' || typeof reconciliation !== 'string')
    return 'the commitment record needs commitment, nonce, result and reconciliation strings';
  if (!/^[0-9a-f]{64}$/.test(nonce)) return 'the commitment nonce is not 32 bytes of lowercase hex';
  const opened = createHash('sha256')
    .update(Buffer.from(result, 'utf8'))
    .update(Buffer.from(reconciliation, 'utf8'))
    .update(Buffer.from(nonce, 'hex'))
    .digest('hex');
  if (opened !== commitment)
    return `commitment mismatch: SHA-256(result ‖ reconciliation ‖ nonce) is ${opened}, the published commitment is ${commitment}`;
  let committed: Record<string, unknown>;
  try {
    committed = JSON.parse(result) as Record<string, unknown>;
  } catch {
    return 'the committed result is not JSON';
  }
  const counts = resultCounts(committed);
  if (committed.electionId !== electionId || counts === undefined) return 'the committed result is not this election’s result';
  const options = new Set([...Object.keys(counts), ...Object.keys(published)]);
  if ([...options].some((o) => (counts[o] ?? 0) !== (published[o] ?? 0)) || committed.total !== total)
    return 'the committed result differs from the published official result';
  return undefined;
}

export async function verifyExport(source: string, options: VerifyOptions = {}): Promise<Outcome> {
  const contents = await readExport(source);

  let keyNote: string;
  let vkey: string;
  if (options.key !== undefined) {
    vkey = parseVkey(options.key).vkey;
    keyNote = `key ${vkey} (pinned with --key)`;
    const exported = contents.keys.map((k) => k.vkey);
    if (exported.length > 0 && !exported.includes(vkey)) keyNote += `; the export's key record (${String(exported[0])}) is a different key`;
  } else {
    if (contents.keys.length !== 1) return failure(`the export has ${contents.keys.length} key records; give the key with --key`);
    const record = contents.keys[0] as Record<string, unknown>;
    if (typeof record.vkey !== 'string') return failure('the key record has no vkey');
    let parsed: ReturnType<typeof parseVkey>;
    try {
      parsed = parseVkey(record.vkey);
    } catch (error) {
      return failure(`the key record's vkey is invalid: ${(error as Error).message}`);
    }
    if (record.name !== parsed.name || record.publicKey !== parsed.publicKey.toString('base64')) {
      return failure("the key record's name or publicKey does not match its vkey");
    }
    vkey = parsed.vkey;
    keyNote = `key ${vkey} taken from the export's own key record: this shows the export is self-consistent, not that urna signed it; pin the key with --key`;
  }

  if (contents.results.length !== 1) return failure(`the export has ${contents.results.length} result records, expected 1`, keyNote);
  const result = contents.results[0] as Record<string, unknown>;
  if (typeof result.electionId !== 'string') return failure('the result record has no electionId', keyNote);
  const electionId = result.electionId;
  const published = resultCounts(result);
  if (published === undefined) return failure('the result record has no counts', keyNote);

  const partitions = [...new Set([...contents.leaves.keys(), ...contents.checkpoints.keys()])].sort((a, b) => a - b);
  if (partitions.length === 0) return failure('the export has no leaves and no checkpoints', keyNote);
  const inputs: PartitionInput[] = partitions.map((partition) => ({
    partition,
    electionId,
    indices: contents.leaves.get(partition)?.indices ?? [],
    leaves: contents.leaves.get(partition)?.leaves ?? [],
    checkpointNote: contents.checkpoints.get(partition),
    vkey,
  }));
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), partitions.length));
  const reports = (await runWorkers(inputs, threads)).sort((a, b) => a.partition - b.partition);
  const broken = reports.find((r) => r.discrepancy !== undefined);
  if (broken?.discrepancy !== undefined) return { ok: false, keyNote, discrepancy: broken.discrepancy };

  const owner = new Map<string, number>();
  for (const report of reports) {
    for (const pseudonym of report.pseudonyms) {
      const other = owner.get(pseudonym);
      if (other !== undefined)
        return failure(
          `pseudonym ${pseudonym} votes in partitions ${other} and ${report.partition}; a user's votes all belong to one partition`,
          keyNote,
        );
      owner.set(pseudonym, report.partition);
    }
  }

  const totals = { accepted: 0, counted: 0, duplicates: 0, afterClose: 0, counts: byOption() };
  for (const r of reports) {
    totals.accepted += r.accepted;
    totals.counted += r.counted;
    totals.duplicates += r.duplicates;
    totals.afterClose += r.afterClose;
    for (const [option, n] of Object.entries(r.counts)) totals.counts[option] = (totals.counts[option] ?? 0) + n;
  }
  for (const option of [...new Set([...Object.keys(totals.counts), ...Object.keys(published)])].sort()) {
    const mine = totals.counts[option] ?? 0;
    const theirs = published[option] ?? 0;
    if (mine !== theirs)
      return failure(`result mismatch for option ${option}: the log counts ${mine}, the published result says ${theirs}`, keyNote);
  }
  if (typeof result.total === 'number' && result.total !== totals.counted) {
    return failure(`result total mismatch: the log counts ${totals.counted}, the published result says ${result.total}`, keyNote);
  }
  for (const rec of contents.reconciliations) {
    // records refused for a bad log signature (`forged`) are in `accepted` but are no election's
    // entries, so no leaf stands for them
    const forged = typeof rec.forged === 'number' ? rec.forged : 0;
    for (const field of ['accepted', 'counted', 'duplicates', 'afterClose'] as const) {
      const published = rec[field];
      const expected = field === 'accepted' && typeof published === 'number' ? published - forged : published;
      if (typeof published === 'number' && expected !== totals[field]) {
        return failure(
          `reconciliation mismatch: ${field} is ${totals[field]} in the log, the published reconciliation says ${String(published)}${field === 'accepted' && forged > 0 ? ` (${forged} forged)` : ''}`,
          keyNote,
        );
      }
    }
  }
  for (const rec of contents.reconciliations) {
    // each final checkpoint covers exactly the partition's entries the reconciliation counts, and the close marker
    const entries = rec.entries;
    if (entries === null || typeof entries !== 'object') continue;
    for (const r of reports) {
      const n = (entries as Record<string, unknown>)[String(r.partition)];
      if (typeof n === 'number' && n + 1 !== r.size)
        return failure(
          `partition ${r.partition}: the final checkpoint covers ${r.size} leaves, the reconciliation counts ${n} entries and the close marker`,
          keyNote,
        );
    }
  }
  if (contents.commitments.length > 1)
    return failure(`the export has ${contents.commitments.length} commitment records, expected at most 1`, keyNote);
  const commitment = contents.commitments[0];
  if (commitment !== undefined) {
    const problem = commitmentProblem(commitment, electionId, published, result.total);
    if (problem !== undefined) return failure(problem, keyNote);
  }
  return {
    ok: true,
    electionId,
    partitions: partitions.length,
    leaves: reports.reduce((n, r) => n + r.size, 0),
    keyNote,
    totals,
    committed: commitment !== undefined,
  };
}
