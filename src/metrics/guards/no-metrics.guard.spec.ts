import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import 'reflect-metadata';
import { NoMetrics } from '../decorators/no-metrics.decorator.js';
import { MetricsModule } from '../metrics.module.js';
import { NoMetricsGuard } from './no-metrics.guard.js';

@Controller('plain')
class PlainController {
  @Get()
  get(): string {
    return 'ok';
  }
}

@Controller('marked-handler')
class MarkedHandlerController {
  @NoMetrics()
  @Get()
  get(): string {
    return 'ok';
  }
}

@NoMetrics()
@Controller('marked-class')
class MarkedClassController {
  @Get()
  get(): string {
    return 'ok';
  }
}

class BaseWithMarkedHandler {
  @NoMetrics()
  @Get()
  get(): string {
    return 'ok';
  }
}

@Controller('inherited')
class InheritingController extends BaseWithMarkedHandler {}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** The NoMetricsGuard instances among the app's global guards, as Nest runs them. */
async function globalMetricsGuards(controllers: Array<new () => unknown>): Promise<unknown[]> {
  const moduleRef = await Test.createTestingModule({
    imports: [MetricsModule.forRoot({ defaultMetrics: false })],
    controllers,
  }).compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app
    .get(ApplicationConfig)
    .getGlobalGuards()
    .filter((guard) => guard instanceof NoMetricsGuard);
}

describe('the @NoMetrics() guard', () => {
  it('is left out of an app where nothing is marked, so requests skip Nest’s guard step', async () => {
    expect(await globalMetricsGuards([PlainController])).toHaveLength(0);
  });

  it.each([
    ['a marked handler', MarkedHandlerController],
    ['a marked controller', MarkedClassController],
    ['a marked handler inherited from a base class', InheritingController],
  ])('is registered once for %s', async (_, controller) => {
    expect(await globalMetricsGuards([PlainController, controller])).toHaveLength(1);
  });
});
