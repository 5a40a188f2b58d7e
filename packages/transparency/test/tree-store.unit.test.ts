import { InMemoryCheckpointStore } from '../src/checkpoint-store.ts';
import { InMemoryTreeStore } from '../src/tree-store.ts';
import { checkpointStoreContract } from './checkpoint-store-contract.ts';
import { treeStoreContract } from './tree-store-contract.ts';

treeStoreContract('in-memory', () => new InMemoryTreeStore());
checkpointStoreContract('in-memory', () => new InMemoryCheckpointStore());
