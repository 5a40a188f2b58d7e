import { UrnaError } from '@urna/domain';

/** Errors of @urna/transparency (see packages/domain/src/errors.ts for the shape). */
export const TransparencyErrors = {
  sizeConflict: (treeId: string, expected: number, actual: number) =>
    new UrnaError('TREE_SIZE_CONFLICT', `tree ${treeId} has size ${actual}, expected ${expected}`, { retriable: true }),
  nodeConflict: (treeId: string, node: string) =>
    new UrnaError('TREE_NODE_CONFLICT', `tree ${treeId} already has a different node ${node}: refusing to rewrite history`),
  nodeMissing: (treeId: string, node: string) => new UrnaError('TREE_NODE_MISSING', `tree ${treeId} has no node ${node}`),
  sizeOutOfRange: (treeId: string, size: number, committed: number) =>
    new UrnaError('TREE_SIZE_OUT_OF_RANGE', `tree ${treeId} has ${committed} leaves; size ${size} is not available`),
  checkpointConflict: (treeId: string, message: string) => new UrnaError('CHECKPOINT_CONFLICT', `checkpoint of ${treeId}: ${message}`),
  invalidKey: (message: string) => new UrnaError('INVALID_KEY', message),
  invalidNote: (message: string) => new UrnaError('INVALID_NOTE', message),
  invalidCheckpoint: (message: string) => new UrnaError('INVALID_CHECKPOINT', message),
  outOfOrder: (treeId: string, voteId: string, cursor: string) =>
    new UrnaError(
      'TREE_OUT_OF_ORDER',
      `vote ${voteId} reached tree ${treeId} after later entries (cursor ${cursor}): run one transparency member per partition`,
    ),
} as const;
