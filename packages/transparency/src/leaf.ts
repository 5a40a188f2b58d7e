/**
 * The leaf format of urna's transparency logs, version 1. This module is the one piece of code
 * the independent verifier (scripts/verify) shares with the services, so it imports nothing.
 *
 * A leaf is UTF-8 text: nine lines joined by '\n', no trailing newline, in this order:
 *
 *   urna-leaf-v1
 *   <electionId>    [A-Za-z0-9_-]{1,64}
 *   <partition>     decimal, no leading zeroes
 *   <position>      the log's position string, [0-9A-Za-z._:-]{1,64}; sorts in log order
 *   <kind>          vote | close
 *   <voteId>        [A-Za-z0-9_-]{1,64}, or '-' for a close marker
 *   <pseudonym>     64 lowercase hex (HMAC-SHA256(election secret, userId)), or '-'
 *   <optionId>      [A-Za-z0-9_-]{1,64}, or '-'
 *   <salt>          32 lowercase hex (16 bytes), or '-'
 *
 * A vote never has '-' in a field; a close marker has '-' in exactly the last four.
 * `formatLeaf(parseLeaf(text)) === text` for every text `parseLeaf` accepts.
 */
export const LEAF_VERSION = 'urna-leaf-v1';
export const ABSENT = '-';

export interface VoteLeaf {
  readonly kind: 'vote';
  readonly electionId: string;
  readonly partition: number;
  readonly position: string;
  readonly voteId: string;
  readonly pseudonym: string;
  readonly optionId: string;
  readonly salt: string;
}

export interface CloseLeaf {
  readonly kind: 'close';
  readonly electionId: string;
  readonly partition: number;
  readonly position: string;
}

export type Leaf = VoteLeaf | CloseLeaf;

export class LeafFormatError extends Error {
  override readonly name = 'LeafFormatError';
  readonly code = 'INVALID_LEAF';
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const PARTITION = /^(0|[1-9][0-9]{0,9})$/;
const POSITION = /^[0-9A-Za-z._:-]{1,64}$/;
const PSEUDONYM = /^[0-9a-f]{64}$/;
const SALT = /^[0-9a-f]{32}$/;

function check(name: string, value: string, pattern: RegExp, allowAbsent = false): void {
  if (value === ABSENT && !allowAbsent) throw new LeafFormatError(`${name} must not be '-' in a vote`);
  if (!pattern.test(value)) throw new LeafFormatError(`${name} ${JSON.stringify(value)} does not match ${pattern.source}`);
}

function checkCommon(leaf: Leaf): void {
  check('electionId', leaf.electionId, ID);
  if (!Number.isSafeInteger(leaf.partition) || !PARTITION.test(String(leaf.partition))) {
    throw new LeafFormatError(`partition ${String(leaf.partition)} is not a non-negative integer`);
  }
  check('position', leaf.position, POSITION);
}

function checkVote(leaf: VoteLeaf): void {
  check('voteId', leaf.voteId, ID);
  check('pseudonym', leaf.pseudonym, PSEUDONYM);
  check('optionId', leaf.optionId, ID);
  check('salt', leaf.salt, SALT);
}

export function formatLeaf(leaf: Leaf): string {
  checkCommon(leaf);
  const head = [LEAF_VERSION, leaf.electionId, String(leaf.partition), leaf.position, leaf.kind];
  if (leaf.kind === 'close') return [...head, ABSENT, ABSENT, ABSENT, ABSENT].join('\n');
  if (leaf.kind !== 'vote') throw new LeafFormatError(`kind ${JSON.stringify(leaf)} is neither vote nor close`);
  checkVote(leaf);
  return [...head, leaf.voteId, leaf.pseudonym, leaf.optionId, leaf.salt].join('\n');
}

export function parseLeaf(text: string): Leaf {
  const lines = text.split('\n');
  if (lines.length !== 9) throw new LeafFormatError(`a leaf has 9 lines, this one ${lines.length}`);
  const [version, electionId, partition, position, kind, voteId, pseudonym, optionId, salt] = lines as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (version !== LEAF_VERSION) throw new LeafFormatError(`unknown leaf version ${JSON.stringify(version)}`);
  check('partition', partition, PARTITION);
  const common = { electionId, partition: Number(partition), position };
  if (kind === 'close') {
    for (const [name, value] of [
      ['voteId', voteId],
      ['pseudonym', pseudonym],
      ['optionId', optionId],
      ['salt', salt],
    ] as const) {
      if (value !== ABSENT) throw new LeafFormatError(`a close marker has '-' as ${name}`);
    }
    const leaf: CloseLeaf = { kind: 'close', ...common };
    checkCommon(leaf);
    return leaf;
  }
  if (kind !== 'vote') throw new LeafFormatError(`kind ${JSON.stringify(kind)} is neither vote nor close`);
  const leaf: VoteLeaf = { kind: 'vote', ...common, voteId, pseudonym, optionId, salt };
  checkCommon(leaf);
  checkVote(leaf);
  return leaf;
}
