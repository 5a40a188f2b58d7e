/** worker_threads entry: checks the partitions it is given and posts one report per partition. */
import { parentPort } from 'node:worker_threads';
import { checkPartition, type PartitionInput } from './partition-check.ts';

parentPort?.on('message', (inputs: PartitionInput[]) => {
  parentPort?.postMessage(inputs.map((input) => checkPartition(input)));
});
