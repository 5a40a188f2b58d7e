import { InMemoryTreeStore } from '../src/tree-store.ts';
import { treeStoreContract } from './tree-store-contract.ts';

treeStoreContract('in-memory', () => new InMemoryTreeStore());
