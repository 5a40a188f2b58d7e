import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { DomainErrors, electionIdFromPath, UrnaError } from '@urna/domain';
import { toNdjsonLine, verifierFromVkey, type NoteVerifier, type PublishedCheckpoint } from '@urna/transparency';
import type { RedisElectionLogs } from '@urna/transparency/redis';

export interface TransparencyReadDeps {
  readonly logs: RedisElectionLogs;
  readonly partitions: number;
  /** The log's verifier key (URNA_TRANSPARENCY_VKEY); without it /v1/transparency/keys lists none. */
  readonly vkey?: string | undefined;
  /** Whether the election exists in the read model. */
  readonly exists: (electionId: string) => Promise<boolean>;
  /** The official result and reconciliation documents (JSON) once published. */
  readonly official: (electionId: string) => Promise<{ result: string; reconciliation: string } | undefined>;
  /** Hidden results: the commitment and its opening (JSON texts), if the recount made one. */
  readonly commitment?: (electionId: string) => Promise<{ commitment: string; opening: string } | undefined>;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const SIZE = /^(0|[1-9][0-9]{0,15})$/;
const EXPORT_CHUNK = 1_000;

const proofNotFound = (message: string) => new UrnaError('PROOF_NOT_FOUND', message, { retriable: true, retryAfterSeconds: 5 });
const base64 = (hashes: readonly Uint8Array[]): string[] => hashes.map((h) => Buffer.from(h).toString('base64'));

/**
 * The public transparency endpoints (docs/transparency.md): keys, latest checkpoints, inclusion
 * and consistency proofs, and the export once the result is final. They read only what the
 * transparency projection wrote (trees, leaf texts, checkpoints); nothing is recomputed but the
 * O(log² n) proof hashes.
 */
export function transparencyRoutes(app: FastifyInstance, deps: TransparencyReadDeps): void {
  const key: NoteVerifier | undefined = deps.vkey === undefined ? undefined : verifierFromVkey(deps.vkey);
  const keyRecord = key === undefined ? undefined : { name: key.name, publicKey: key.publicKey.toString('base64'), vkey: key.vkey };

  const existing = async (params: unknown): Promise<string> => {
    const id = electionIdFromPath(params);
    if (!(await deps.exists(id))) throw DomainErrors.electionNotFound(id);
    return id;
  };

  app.get('/v1/transparency/keys', async () => ({ keys: keyRecord === undefined ? [] : [keyRecord] }));

  app.get('/v1/elections/:id/checkpoints', async (request) => {
    const electionId = await existing(request.params);
    const latest = await Promise.all(Array.from({ length: deps.partitions }, (_, p) => deps.logs.checkpoints.latest(`${electionId}/${p}`)));
    const checkpoints: Record<string, string> = {};
    latest.forEach((c, p) => {
      if (c !== undefined) checkpoints[String(p)] = c.note;
    });
    return { electionId, checkpoints };
  });

  app.get('/v1/elections/:id/proofs/:voteId', async (request) => {
    const electionId = await existing(request.params);
    const voteId = (request.params as { voteId?: string }).voteId ?? '';
    if (!ID.test(voteId)) throw new UrnaError('BAD_REQUEST', 'a voteId is 1-64 letters, digits, _ or -');
    const at = await deps.logs.locateVote(electionId, voteId);
    if (at === undefined) throw proofNotFound(`no vote ${voteId} in the log of election "${electionId}" yet`);
    const treeId = `${electionId}/${at.partition}`;
    // against the final checkpoint once there is one, else the latest
    const finalSize = (await deps.logs.finalSizes(electionId)).get(at.partition);
    let checkpoint: PublishedCheckpoint | undefined =
      finalSize !== undefined && at.index < finalSize ? await deps.logs.checkpoints.atSize(treeId, finalSize) : undefined;
    checkpoint ??= await deps.logs.checkpoints.latest(treeId);
    if (checkpoint === undefined || at.index >= checkpoint.size) {
      throw proofNotFound(`vote ${voteId} is in the log but not yet in a published checkpoint; retry in a few seconds`);
    }
    const log = deps.logs.log(electionId, at.partition);
    const [[leaf], inclusion, closeIndex] = await Promise.all([
      deps.logs.leaves(electionId, at.partition, at.index, at.index + 1),
      log.inclusionProof(at.index, checkpoint.size),
      deps.logs.closeIndexes(electionId).then((c) => c.get(at.partition)),
    ]);
    const body: Record<string, unknown> = {
      electionId,
      partition: at.partition,
      leafIndex: at.index,
      treeSize: checkpoint.size,
      leaf,
      inclusion: base64(inclusion),
      checkpoint: checkpoint.note,
    };
    // the partition's close marker with its own proof, so a verifier sees on which side of it the vote is
    if (closeIndex !== undefined && closeIndex < checkpoint.size) {
      const [[closeLeaf], closeProof] = await Promise.all([
        deps.logs.leaves(electionId, at.partition, closeIndex, closeIndex + 1),
        log.inclusionProof(closeIndex, checkpoint.size),
      ]);
      body.close = { leafIndex: closeIndex, leaf: closeLeaf, inclusion: base64(closeProof) };
    }
    return body;
  });

  app.get('/v1/elections/:id/partitions/:p/consistency', async (request) => {
    const electionId = await existing(request.params);
    const p = (request.params as { p?: string }).p ?? '';
    if (!SIZE.test(p) || Number(p) >= deps.partitions) {
      throw new UrnaError('PARTITION_NOT_FOUND', `partition ${JSON.stringify(p)} does not exist (0-${deps.partitions - 1})`);
    }
    const query = request.query as { from?: unknown; to?: unknown };
    if (typeof query.from !== 'string' || typeof query.to !== 'string' || !SIZE.test(query.from) || !SIZE.test(query.to)) {
      throw new UrnaError('BAD_REQUEST', 'from and to are tree sizes (non-negative integers)');
    }
    const from = Number(query.from);
    const to = Number(query.to);
    if (from > to) throw new UrnaError('BAD_REQUEST', 'from must not be larger than to');
    const treeId = `${electionId}/${p}`;
    const [a, b] = await Promise.all([
      from === 0 ? Promise.resolve(true) : deps.logs.checkpoints.atSize(treeId, from),
      deps.logs.checkpoints.atSize(treeId, to),
    ]);
    if (a === undefined || b === undefined) {
      throw new UrnaError('CHECKPOINT_NOT_FOUND', `partition ${p} has no published checkpoint of size ${a === undefined ? from : to}`);
    }
    const proof = await deps.logs.log(electionId, Number(p)).consistencyProof(from, to);
    return { from, to, proof: base64(proof) };
  });

  app.get('/v1/elections/:id/export', async (request, reply) => {
    const electionId = await existing(request.params);
    const [official, finals] = await Promise.all([deps.official(electionId), deps.logs.finalSizes(electionId)]);
    if (official === undefined || finals.size < deps.partitions) throw DomainErrors.resultNotFinal(electionId);
    const notes = await Promise.all(
      Array.from({ length: deps.partitions }, async (_, p) => {
        const note = (await deps.logs.checkpoints.atSize(`${electionId}/${p}`, finals.get(p) as number))?.note;
        if (note === undefined) throw new UrnaError('INTERNAL', `final checkpoint of ${electionId}/${p} is missing`);
        return note;
      }),
    );
    const committed = await deps.commitment?.(electionId);
    const result = JSON.parse(official.result) as object;
    const reconciliation = JSON.parse(official.reconciliation) as {
      rejected?: { duplicate?: number; 'after-close'?: number; forged?: number };
    };
    async function* lines(): AsyncGenerator<string> {
      for (let p = 0; p < deps.partitions; p += 1) {
        const size = finals.get(p) as number;
        for (let from = 0; from < size; from += EXPORT_CHUNK) {
          const leaves = await deps.logs.leaves(electionId, p, from, Math.min(size, from + EXPORT_CHUNK));
          yield leaves.map((leaf, i) => toNdjsonLine({ type: 'leaf', partition: p, index: from + i, leaf })).join('');
        }
      }
      for (const [p, note] of notes.entries()) yield toNdjsonLine({ type: 'checkpoint', partition: p, note });
      if (keyRecord !== undefined) yield toNdjsonLine({ type: 'key', ...keyRecord });
      yield `${JSON.stringify({ type: 'result', ...result })}\n`;
      // as served by GET …/reconciliation, plus its rejected counts under the export's flat names (§8)
      const flat = {
        duplicates: reconciliation.rejected?.duplicate ?? 0,
        afterClose: reconciliation.rejected?.['after-close'] ?? 0,
        forged: reconciliation.rejected?.forged ?? 0,
      };
      yield `${JSON.stringify({ type: 'reconciliation', ...reconciliation, ...flat })}\n`;
      // hidden results: the commitment published before the reveal, and its opening (§8)
      if (committed !== undefined)
        yield `${JSON.stringify({ type: 'commitment', ...(JSON.parse(committed.commitment) as object), ...(JSON.parse(committed.opening) as object) })}\n`;
    }
    return reply.type('application/x-ndjson; charset=utf-8').header('cache-control', 'no-store').send(Readable.from(lines()));
  });
}
