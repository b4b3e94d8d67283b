import { afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { MetricsService, TrackCache } from '../src/metrics/index.js';
import { createFixture, type Fixture } from './fixtures/fixture-app.js';
import { valueOf } from './support/exposition.js';
import { RecordingLogger } from './support/recording-logger.js';
import { PLATFORMS } from './support/platforms.js';

class FlakyCache {
  @TrackCache('flaky', {
    isHit: () => {
      throw new Error('hit test exploded');
    },
  })
  lookup(key: string) {
    return { key };
  }
}

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

describe.each(PLATFORMS)('on %s', (platform) => {
  describe('failures inside instrumentation', () => {
    it('never change a response or a result, and are logged once per place', async () => {
      const logger = new RecordingLogger();
      fixture = await createFixture({ platform, configure: (app) => app.useLogger(logger) });
      const metrics = fixture.app.get(MetricsService);
      metrics.registerQueue('broken', () => {
        throw new Error('queue backend unreachable');
      });
      metrics.registerQueue('nonsense', () => Number.NaN);
      metrics.registerQueue('healthy', async () => 7);
      const http = request(fixture.app.getHttpServer());

      const cache = new FlakyCache();
      expect(cache.lookup('a')).toEqual({ key: 'a' });
      expect(cache.lookup('b')).toEqual({ key: 'b' });

      for (let scrape = 0; scrape < 3; scrape++) {
        const text = (await http.get('/metrics').expect(200)).text;
        expect(valueOf(text, 'queue_size', { queue: 'healthy' })).toBe(7);
        expect(valueOf(text, 'queue_size', { queue: 'broken' })).toBeUndefined();
        expect(valueOf(text, 'queue_size', { queue: 'nonsense' })).toBeUndefined();
      }
      await http.get('/things/1').expect(200);

      expect(logger.errors).toHaveLength(3);
      expect(
        logger.errors.filter((line) => line.includes('the sampler of queue "broken"')),
      ).toHaveLength(1);
      expect(
        logger.errors.filter((line) => line.includes('queue backend unreachable')),
      ).toHaveLength(1);
      expect(logger.errors.filter((line) => line.includes('sampler returned NaN'))).toHaveLength(1);
      expect(
        logger.errors.filter(
          (line) => line.includes('@TrackCache') && line.includes('hit test exploded'),
        ),
      ).toHaveLength(1);
    });

    it('a sampler that never answers is skipped instead of stalling the scrape', async () => {
      fixture = await createFixture({
        platform,
        configure: (app) => app.useLogger(new RecordingLogger()),
      });
      fixture.app
        .get(MetricsService)
        .registerQueue('stuck', () => new Promise<number>(() => undefined));
      const text = (await request(fixture.app.getHttpServer()).get('/metrics').expect(200)).text;
      expect(valueOf(text, 'queue_size', { queue: 'stuck' })).toBeUndefined();
    });
  });

  describe('MetricsService arguments', () => {
    it('reject bad values with an error that names the call and the argument', async () => {
      fixture = await createFixture({ platform });
      const metrics = fixture.app.get(MetricsService);
      expect(() => metrics.recordDbOperation('', 'users', 'success')).toThrow(
        'MetricsService.recordDbOperation: "operation" must be a non-empty string, got ""',
      );
      expect(() => metrics.recordDbOperation('select', 'users', 'ok' as never)).toThrow(
        'MetricsService.recordDbOperation: "outcome" must be one of success, error, got "ok"',
      );
      expect(() => metrics.recordExternalCall('a', 'b', 'success', -1)).toThrow(
        '"durationSeconds" must be a finite number >= 0, got -1',
      );
      expect(() => metrics.recordBackgroundTask('t', 'done' as never)).toThrow(
        '"status" must be one of started, succeeded, failed',
      );
      expect(() => metrics.recordCacheOperation('c', 'maybe' as never)).toThrow(
        '"result" must be one of hit, miss',
      );
      expect(() => metrics.recordAuthEvent('login', 'ok' as never)).toThrow(
        '"result" must be one of success, failure',
      );
      expect(() => metrics.setQueueSize('q', Infinity)).toThrow(
        'MetricsService.setQueueSize: "size" must be a finite number >= 0, got Infinity',
      );
      expect(() => metrics.registerQueue('q', 5 as never)).toThrow(
        '"sampler" must be a function, got number',
      );

      metrics.setQueueSize('manual', 3);
      metrics.recordDbOperation('select', 'users', 'error', 0.25);
      const text = await fixture.scrape();
      expect(valueOf(text, 'queue_size', { queue: 'manual' })).toBe(3);
      expect(
        valueOf(text, 'database_operations_total', {
          operation: 'select',
          table: 'users',
          status: 'error',
        }),
      ).toBe(1);
      expect(
        valueOf(text, 'database_operation_duration_seconds_sum', {
          operation: 'select',
          table: 'users',
        }),
      ).toBe(0.25);
      metrics.unregisterQueue('manual');
      expect(valueOf(await fixture.scrape(), 'queue_size', { queue: 'manual' })).toBeUndefined();
    });
  });
});
