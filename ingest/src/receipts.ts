import type { LoggedVote } from '@urna/domain';
import { electionSecretsOf, pseudonymOf, signReceipt, type NoteSigner, type Receipt } from '@urna/transparency';

/**
 * Signs the receipt given with a 202 (docs/transparency.md §6): urna's promise to put the vote
 * in its partition's transparency log. One Ed25519 signature per vote (the format has no batch
 * signature): ~50-90 µs of CPU on this machine, the largest per-vote cost after the log
 * append (measured in docs/benchmarks.md).
 */
export class ReceiptSigner {
  readonly #signer: NoteSigner;
  readonly #root: Uint8Array;
  readonly #pseudonymSecrets = new Map<string, Buffer>();

  constructor(signer: NoteSigner, rootSecret: Uint8Array) {
    this.#signer = signer;
    this.#root = rootSecret;
  }

  sign({ vote, partition, position }: LoggedVote): Receipt {
    let secret = this.#pseudonymSecrets.get(vote.electionId);
    if (secret === undefined) {
      // few elections are open at once; a deployment running thousands would bound this map
      if (this.#pseudonymSecrets.size >= 10_000) this.#pseudonymSecrets.clear();
      secret = electionSecretsOf(this.#root, vote.electionId).pseudonym;
      this.#pseudonymSecrets.set(vote.electionId, secret);
    }
    return signReceipt(this.#signer, {
      electionId: vote.electionId,
      voteId: vote.voteId,
      pseudonym: pseudonymOf(secret, vote.userId),
      optionId: vote.optionId,
      partition,
      position,
      acceptedAt: vote.acceptedAt,
    });
  }
}
