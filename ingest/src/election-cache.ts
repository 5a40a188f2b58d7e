import type { Election } from '@urna/domain';

export interface ElectionSource {
  get(id: string): Promise<Election | undefined>;
}

interface Entry {
  readonly election: Election | undefined;
  readonly loadedAt: number;
}

export interface ElectionCacheOptions {
  /** Safety net if an invalidation notice is lost: entries are re-read after this long. */
  readonly maxAgeMs?: number;
  /** Unknown ids are remembered this long, so random ids cannot hammer the repository. */
  readonly missingMaxAgeMs?: number;
  /** Unknown ids remembered at most (the oldest go first): random ids cannot grow memory. */
  readonly maxMissing?: number;
}

/**
 * Local cache of election config for the vote path: no round trip per vote. Changes are
 * announced on a Redis channel and drop the entry everywhere (`invalidate`); concurrent misses
 * share one load.
 */
export class ElectionCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Election | undefined>>();
  private readonly maxAgeMs: number;
  private readonly missingMaxAgeMs: number;
  private readonly maxMissing: number;
  private missingCount = 0;
  /**
   * Bumped by every invalidation (per id, and for all): a load that started before one must not
   * cache what it read, or a close announced while it was in flight would be undone for maxAgeMs.
   */
  private readonly generations = new Map<string, number>();
  private generationOfAll = 0;

  constructor(
    private readonly source: ElectionSource,
    options: ElectionCacheOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 5_000;
    this.missingMaxAgeMs = options.missingMaxAgeMs ?? 1_000;
    this.maxMissing = options.maxMissing ?? 10_000;
  }

  /** Entries held (known elections and remembered unknown ids). */
  get size(): number {
    return this.entries.size;
  }

  async get(id: string): Promise<Election | undefined> {
    const entry = this.entries.get(id);
    if (entry !== undefined && Date.now() - entry.loadedAt < (entry.election === undefined ? this.missingMaxAgeMs : this.maxAgeMs)) {
      return entry.election;
    }
    let load = this.loading.get(id);
    if (load === undefined) {
      const generation = this.generationOf(id);
      const startedAt = Date.now();
      const current: Promise<Election | undefined> = this.source.get(id).then(
        (election) => {
          if (this.loading.get(id) === current) this.loading.delete(id);
          // read before an invalidation: answered to the callers that were waiting, never cached
          if (this.generationOf(id) === generation) this.store(id, election, startedAt);
          return election;
        },
        (error: unknown) => {
          if (this.loading.get(id) === current) this.loading.delete(id);
          throw error;
        },
      );
      this.loading.set(id, current);
      load = current;
    }
    return load;
  }

  /** Stores a known-fresh value (after this process changed it). */
  put(election: Election): void {
    this.store(election.id, election);
  }

  invalidate(id?: string): void {
    if (id === undefined) {
      this.generationOfAll++;
      this.entries.clear();
      this.loading.clear();
      this.missingCount = 0;
    } else {
      this.generations.set(id, (this.generations.get(id) ?? 0) + 1);
      this.loading.delete(id); // the next get reads afresh instead of joining a load from before
      this.drop(id);
    }
  }

  private generationOf(id: string): string {
    return `${this.generationOfAll}:${this.generations.get(id) ?? 0}`;
  }

  private store(id: string, election: Election | undefined, loadedAt = Date.now()): void {
    this.drop(id);
    if (election === undefined) {
      // Map order is insertion order: the first unknown id found is the oldest
      if (this.missingCount >= this.maxMissing) {
        for (const [key, entry] of this.entries) {
          if (entry.election === undefined) {
            this.drop(key);
            break;
          }
        }
      }
      this.missingCount++;
    }
    this.entries.set(id, { election, loadedAt });
  }

  private drop(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    if (entry.election === undefined) this.missingCount--;
    this.entries.delete(id);
  }
}
