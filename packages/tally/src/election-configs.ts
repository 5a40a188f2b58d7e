import type { Redis } from 'ioredis';
import type { Election } from '@urna/domain';
import { TallyErrors } from './errors.ts';

/**
 * Election config as the vote path reads it: one JSON string per election in Redis, written by
 * the lifecycle service on every change (create, schedule, open, close begun, closed). Ingest
 * reads only this, never DynamoDB, so votes keep flowing while DynamoDB is slow or down.
 */
export class ElectionConfigs {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'urna',
  ) {}

  key(electionId: string): string {
    return `${this.prefix}:election:${electionId}`;
  }

  async put(election: Election): Promise<void> {
    try {
      await this.redis.set(this.key(election.id), JSON.stringify(election));
    } catch (error) {
      throw TallyErrors.unavailable(error);
    }
  }

  async get(electionId: string): Promise<Election | undefined> {
    let raw: string | null;
    try {
      raw = await this.redis.get(this.key(electionId));
    } catch (error) {
      throw TallyErrors.unavailable(error);
    }
    return raw === null ? undefined : (JSON.parse(raw) as Election);
  }
}
