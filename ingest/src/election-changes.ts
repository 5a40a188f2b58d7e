import type { Cluster, Redis } from 'ioredis';
import { ELECTION_CHANGED_CHANNEL } from '@urna/domain';
import type { ElectionCache } from './election-cache.ts';

/**
 * Keeps a process's election cache coherent with changes made by any ingest process: each
 * change is announced on one channel (by the lifecycle service) and drops the entry here. After a
 * (re)connect, notices may have been missed, so the whole cache is dropped.
 */
export async function followElectionChanges(subscriber: Redis | Cluster, cache: ElectionCache): Promise<void> {
  subscriber.on('message', (channel: string, id: string) => {
    if (channel === ELECTION_CHANGED_CHANNEL) cache.invalidate(id);
  });
  subscriber.on('ready', () => cache.invalidate());
  await subscriber.subscribe(ELECTION_CHANGED_CHANNEL);
}
