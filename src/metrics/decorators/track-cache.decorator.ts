import { assertLabel } from '../recording/assert-argument.js';
import { instrumentMethod } from './instrument-method.js';

export interface TrackCacheOptions {
  /**
   * `operation` label.
   * @default 'get'
   */
  operation?: string;
  /**
   * Decides whether a result is a hit.
   * @default a result other than `undefined` or `null` is a hit
   */
  isHit?: (result: unknown) => boolean;
}

/**
 * Counts each call as a cache lookup (`cache_operations_total{cache,operation,result}`): a hit when it
 * returns (or resolves to) anything but `undefined` or `null`, unless `options.isHit` decides. A call
 * that throws is neither a hit nor a miss and is not counted.
 *
 * @example
 * ```ts
 * @TrackCache('users')
 * lookup(id: number): User | undefined { return this.cache.get(id); }
 * ```
 * @throws TypeError at class definition when `cache` or `options.operation` is empty.
 */
export function TrackCache(cache: string, options: TrackCacheOptions = {}): MethodDecorator {
  assertLabel('@TrackCache', 'cache', cache);
  const operation = options.operation ?? 'get';
  assertLabel('@TrackCache', 'options.operation', operation);
  const isHit = options.isHit ?? ((result: unknown) => result !== undefined && result !== null);
  if (typeof isHit !== 'function') {
    throw new TypeError('@TrackCache: "options.isHit" must be a function');
  }
  return instrumentMethod('TrackCache', {
    ended(metrics, outcome) {
      if (!outcome.ok) return;
      metrics.recordCacheOperation(cache, isHit(outcome.value) ? 'hit' : 'miss', operation);
    },
  });
}
