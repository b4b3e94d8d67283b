export interface CacheOptions {
  ttlMs: number;
  maxEntries: number;
}

interface CacheEntry {
  value: unknown;
  expiresAt: number;
}

/**
 * In-process cache with a per-entry TTL and a size bound. Expired entries are dropped when read
 * rather than by a timer, so the cache never keeps the process alive.
 */
export class CacheService {
  private readonly entries = new Map<string, CacheEntry>();

  constructor(
    private readonly options: CacheOptions,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      return undefined;
    }
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Moving the key to the end of the Map's order makes eviction least-recently-used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value as T;
  }

  set<T>(key: string, value: T, ttlMs: number = this.options.ttlMs): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
    this.evictOverflow();
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  private evictOverflow(): void {
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.options.maxEntries) {
        return;
      }
      this.entries.delete(key);
    }
  }
}
