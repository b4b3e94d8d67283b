import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  HttpCode,
  Injectable,
  Post,
  UseGuards,
  type CanActivate,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { of, type Observable } from 'rxjs';
import request from 'supertest';
import {
  MetricsModule,
  MetricsService,
  TrackAuthEvent,
  TrackDbOperation,
  TrackExternalCall,
} from '../src/metrics/index.js';
import { valueOf } from './support/exposition.js';
import { PLATFORMS, createPlatformApp, initPlatformApp } from './support/platforms.js';

@Injectable()
class DenyGuard implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

/** Each route stacks a tracking decorator with Nest's own, in one order or the other. */
@Controller('stacked')
class StackedController {
  @Get('below')
  @TrackExternalCall('svc', 'below')
  below() {
    return { order: 'route decorator above' };
  }

  @TrackExternalCall('svc', 'above')
  @Get('above')
  above() {
    return { order: 'route decorator below' };
  }

  @TrackAuthEvent('guarded-below')
  @UseGuards(DenyGuard)
  @Get('guarded-below')
  guardedBelow() {
    return { reached: true };
  }

  @Get('guarded-above')
  @UseGuards(DenyGuard)
  @TrackAuthEvent('guarded-above')
  guardedAbove() {
    return { reached: true };
  }

  @Post('created')
  @HttpCode(202)
  @TrackDbOperation('insert', 'stack')
  async created() {
    return { accepted: true };
  }

  @TrackDbOperation('select', 'stack')
  @Get('stream')
  stream(): Observable<{ items: number[] }> {
    return of({ items: [1, 2] });
  }
}

describe.each(PLATFORMS)('tracking decorators stacked with Nest decorators on %s', (platform) => {
  let app: INestApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MetricsModule.forRoot({ defaultMetrics: false })],
      controllers: [StackedController],
      providers: [DenyGuard],
    }).compile();
    app = await initPlatformApp(await createPlatformApp(moduleRef, platform, { logger: false }));
  });
  afterAll(() => app.close());

  it('keep routes, status codes and guards working in either order', async () => {
    const http = request(app.getHttpServer());
    expect((await http.get('/stacked/below').expect(200)).body).toEqual({
      order: 'route decorator above',
    });
    expect((await http.get('/stacked/above').expect(200)).body).toEqual({
      order: 'route decorator below',
    });
    await http.get('/stacked/guarded-below').expect(403);
    await http.get('/stacked/guarded-above').expect(403);
    expect((await http.post('/stacked/created').expect(202)).body).toEqual({ accepted: true });
    expect((await http.get('/stacked/stream').expect(200)).body).toEqual({ items: [1, 2] });

    const text = await app.get(MetricsService).registry.metrics();
    expect(
      valueOf(text, 'external_api_calls_total', { operation: 'below', status: 'success' }),
    ).toBe(1);
    expect(
      valueOf(text, 'external_api_calls_total', { operation: 'above', status: 'success' }),
    ).toBe(1);
    // A guard that refuses means the method never ran, so there was no authentication event.
    expect(valueOf(text, 'auth_events_total', { event: 'guarded-below' })).toBeUndefined();
    expect(valueOf(text, 'auth_events_total', { event: 'guarded-above' })).toBeUndefined();
    expect(
      valueOf(text, 'database_operations_total', {
        operation: 'insert',
        table: 'stack',
        status: 'success',
      }),
    ).toBe(1);
    expect(
      valueOf(text, 'database_operations_total', {
        operation: 'select',
        table: 'stack',
        status: 'success',
      }),
    ).toBe(1);
  });
});
