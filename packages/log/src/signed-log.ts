import type { VoteLog } from './port.ts';
import type { RecordSigning } from './record-signing.ts';

/**
 * A log whose records are signed and checked: `append` and `appendCloseMarker` sign each record
 * with the current key; `consume` checks every delivered record and hands the handler only
 * the valid ones as votes and markers, the others as `rejected` (reason `forged`), so no
 * projection ever applies a record that ingest did not write. The check is one HMAC per record
 * in the consumer's process, per batch: no round trip.
 */
export function signedVoteLog(log: VoteLog, signing: RecordSigning): VoteLog {
  return {
    partitions: log.partitions,
    append: async (votes) => {
      const logged = await log.append(votes.map((vote) => ({ ...vote, signature: signing.signVote(vote) })));
      // callers get their own votes back: the signature belongs to the log record only
      return logged.map((record, i) => ({ ...record, vote: votes[i] ?? record.vote }));
    },
    appendCloseMarker: (electionId, closedAt = Date.now()) =>
      log.appendCloseMarker(electionId, closedAt, signing.signMarker({ electionId, closedAt })),
    consume: (options, handler) =>
      log.consume(options, (votes, markers) => {
        const checked = signing.split(votes, markers, log.partitions);
        return handler(checked.votes, checked.markers, checked.rejected);
      }),
    backlog: (group) => log.backlog(group),
    close: () => log.close(),
  };
}
