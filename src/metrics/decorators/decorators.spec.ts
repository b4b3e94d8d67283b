import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SetMetadata } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import 'reflect-metadata';
import { Observable, firstValueFrom, lastValueFrom, of, throwError, toArray } from 'rxjs';
import { samplesOf } from '../../../test/support/exposition.js';
import { MetricsModule } from '../metrics.module.js';
import { MetricsService } from '../metrics.service.js';
import { TrackAuthEvent } from './track-auth-event.decorator.js';
import { TrackBackgroundTask } from './track-background-task.decorator.js';
import { TrackCache } from './track-cache.decorator.js';
import { TrackDbOperation } from './track-db-operation.decorator.js';
import { TrackExternalCall } from './track-external-call.decorator.js';

class Repository {
  readonly table = 'users';

  @TrackDbOperation('select', 'users')
  findSync(id: number): { id: number; table: string } {
    return { id, table: this.table };
  }

  @TrackDbOperation('select', 'users')
  async findAsync(id: number): Promise<number> {
    return id * 2;
  }

  @TrackDbOperation('insert', 'users')
  insertFailing(): never {
    throw new RangeError('constraint');
  }

  @TrackDbOperation('insert', 'users')
  async insertRejecting(): Promise<never> {
    throw new RangeError('constraint');
  }

  @TrackDbOperation('select', 'orders')
  stream(values: number[]): Observable<number> {
    return of(...values);
  }

  @TrackDbOperation('select', 'orders')
  failingStream(): Observable<number> {
    return throwError(() => new Error('stream broke'));
  }
}

class Cache {
  @TrackCache('users')
  lookup(value: unknown): unknown {
    return value;
  }

  @TrackCache('sessions', { operation: 'peek', isHit: (result) => result === 'fresh' })
  async peek(value: string): Promise<string> {
    return value;
  }

  @TrackCache('users')
  broken(): never {
    throw new Error('cache down');
  }
}

class Jobs {
  @TrackBackgroundTask('report')
  async run(fail: boolean): Promise<string> {
    if (fail) throw new Error('report failed');
    return 'ok';
  }
}

class Clients {
  @TrackExternalCall('pricing', 'get_price')
  async price(fail: boolean): Promise<number> {
    if (fail) throw new Error('upstream');
    return 42;
  }

  @TrackExternalCall('geo')
  lookupCountry(): string {
    return 'NL';
  }
}

class Auth {
  @TrackAuthEvent('login')
  async login(user: string | null): Promise<string | null> {
    return user;
  }

  @TrackAuthEvent('login')
  loginThrows(): never {
    throw new Error('locked');
  }
}

let moduleRef: TestingModule | undefined;
let metrics: MetricsService;

/** Sum of the series of `name` whose labels include `labels`; undefined when there is none. */
async function value(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const matches = samplesOf(await metrics.registry.metrics(), name, labels);
  return matches.length === 0
    ? undefined
    : matches.reduce((total, sample) => total + sample.value, 0);
}

describe('method decorators', () => {
  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [MetricsModule.forRoot({ defaultMetrics: false })],
    }).compile();
    await moduleRef.init();
    metrics = moduleRef.get(MetricsService);
  });
  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  it('keep this, arguments and results of sync, async and Observable methods', async () => {
    const repository = new Repository();
    expect(repository.findSync(7)).toEqual({ id: 7, table: 'users' });
    await expect(repository.findAsync(21)).resolves.toBe(42);
    await expect(lastValueFrom(repository.stream([1, 2, 3]).pipe(toArray()))).resolves.toEqual([
      1, 2, 3,
    ]);
    expect(
      await value('database_operations_total', {
        operation: 'select',
        table: 'users',
        status: 'success',
      }),
    ).toBe(2);
    expect(
      await value('database_operations_total', {
        operation: 'select',
        table: 'orders',
        status: 'success',
      }),
    ).toBe(1);
    expect(
      await value('database_operation_duration_seconds_count', {
        operation: 'select',
        table: 'users',
      }),
    ).toBe(2);
  });

  it('rethrow the very same error and count it as an error', async () => {
    const repository = new Repository();
    const thrown = (() => {
      try {
        repository.insertFailing();
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(RangeError);
    await expect(repository.insertRejecting()).rejects.toThrow(new RangeError('constraint'));
    await expect(firstValueFrom(repository.failingStream())).rejects.toThrow('stream broke');
    expect(
      await value('database_operations_total', {
        operation: 'insert',
        table: 'users',
        status: 'error',
      }),
    ).toBe(2);
    expect(
      await value('database_operations_total', {
        operation: 'select',
        table: 'orders',
        status: 'error',
      }),
    ).toBe(1);
    expect(
      await value('database_operation_duration_seconds_count', {
        operation: 'insert',
        table: 'users',
      }),
    ).toBe(2);
  });

  it('record an Observable only when subscribed, once per subscription', async () => {
    const repository = new Repository();
    const stream = repository.stream([1]);
    expect(
      await value('database_operations_total', { table: 'orders', status: 'success' }),
    ).toBeUndefined();
    await lastValueFrom(stream);
    await lastValueFrom(stream);
    expect(await value('database_operations_total', { table: 'orders', status: 'success' })).toBe(
      2,
    );
  });

  it('count cache hits and misses, with a custom operation and hit test', async () => {
    const cache = new Cache();
    cache.lookup(undefined);
    cache.lookup(null);
    cache.lookup(0);
    cache.lookup({ id: 1 });
    await cache.peek('fresh');
    await cache.peek('stale');
    expect(() => cache.broken()).toThrow('cache down');
    expect(
      await value('cache_operations_total', { cache: 'users', operation: 'get', result: 'miss' }),
    ).toBe(2);
    expect(
      await value('cache_operations_total', { cache: 'users', operation: 'get', result: 'hit' }),
    ).toBe(2);
    expect(
      await value('cache_operations_total', {
        cache: 'sessions',
        operation: 'peek',
        result: 'hit',
      }),
    ).toBe(1);
    expect(
      await value('cache_operations_total', {
        cache: 'sessions',
        operation: 'peek',
        result: 'miss',
      }),
    ).toBe(1);
  });

  it('count background tasks as started, then succeeded or failed, with durations', async () => {
    const jobs = new Jobs();
    await jobs.run(false);
    await jobs.run(false);
    await expect(jobs.run(true)).rejects.toThrow('report failed');
    expect(await value('background_tasks_total', { task_type: 'report', status: 'started' })).toBe(
      3,
    );
    expect(
      await value('background_tasks_total', { task_type: 'report', status: 'succeeded' }),
    ).toBe(2);
    expect(await value('background_tasks_total', { task_type: 'report', status: 'failed' })).toBe(
      1,
    );
    expect(
      await value('background_task_duration_seconds_count', {
        task_type: 'report',
        status: 'succeeded',
      }),
    ).toBe(2);
    expect(
      await value('background_task_duration_seconds_count', {
        task_type: 'report',
        status: 'failed',
      }),
    ).toBe(1);
  });

  it('count external calls by outcome, defaulting the operation to the method name', async () => {
    const clients = new Clients();
    await clients.price(false);
    await expect(clients.price(true)).rejects.toThrow('upstream');
    expect(clients.lookupCountry()).toBe('NL');
    expect(
      await value('external_api_calls_total', {
        service: 'pricing',
        operation: 'get_price',
        status: 'success',
      }),
    ).toBe(1);
    expect(
      await value('external_api_calls_total', {
        service: 'pricing',
        operation: 'get_price',
        status: 'error',
      }),
    ).toBe(1);
    expect(
      await value('external_api_calls_total', {
        service: 'geo',
        operation: 'lookupCountry',
        status: 'success',
      }),
    ).toBe(1);
    expect(
      await value('external_api_call_duration_seconds_count', {
        service: 'pricing',
        operation: 'get_price',
      }),
    ).toBe(2);
  });

  it('count auth events: truthy is success, falsy or thrown is failure', async () => {
    const auth = new Auth();
    await auth.login('ada');
    await auth.login(null);
    await auth.login('');
    expect(() => auth.loginThrows()).toThrow('locked');
    expect(await value('auth_events_total', { event: 'login', result: 'success' })).toBe(1);
    expect(await value('auth_events_total', { event: 'login', result: 'failure' })).toBe(3);
  });

  it('keep the method name and every metadata entry of the original method', () => {
    const key = 'custom:marker';
    class Marked {
      @TrackDbOperation('select', 'users')
      @SetMetadata(key, 'kept')
      find(): number {
        return 1;
      }
    }
    expect(Marked.prototype.find.name).toBe('find');
    expect(Reflect.getMetadata(key, Marked.prototype.find)).toBe('kept');
  });

  it('stop recording once the module is closed, and never throw', async () => {
    await moduleRef!.close();
    moduleRef = undefined;
    const repository = new Repository();
    expect(repository.findSync(1)).toEqual({ id: 1, table: 'users' });
    await expect(repository.findAsync(1)).resolves.toBe(2);
    expect(await value('database_operations_total', { table: 'users' })).toBeUndefined();
  });
});

describe('method decorators without a MetricsModule', () => {
  it('record nothing and leave results and errors untouched', async () => {
    const repository = new Repository();
    expect(repository.findSync(3)).toEqual({ id: 3, table: 'users' });
    await expect(repository.findAsync(2)).resolves.toBe(4);
    expect(() => repository.insertFailing()).toThrow(RangeError);
  });

  it('reject bad arguments at class definition, naming the problem', () => {
    expect(() => TrackDbOperation('', 'users')).toThrow(
      '@TrackDbOperation: "operation" must be a non-empty string, got ""',
    );
    expect(() => TrackCache('users', { operation: '' })).toThrow(
      '@TrackCache: "options.operation" must be a non-empty string',
    );
    expect(() => TrackBackgroundTask(undefined as unknown as string)).toThrow(
      '@TrackBackgroundTask: "taskType"',
    );
    class Settings {}
    expect(() => TrackAuthEvent('login')(Settings.prototype, 'timeout', { value: 30 })).toThrow(
      '@TrackAuthEvent can only decorate a method; Settings.timeout is not one',
    );
  });
});
