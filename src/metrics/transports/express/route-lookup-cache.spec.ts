import { describe, expect, it } from '@jest/globals';
import express from 'express';
import { findRouteOf } from './route-lookup.js';
import {
  MAX_REMEMBERED_LOOKUPS,
  RouteLookupCache,
  type LookedUpRequest,
} from './route-lookup-cache.js';

/** A cache over the real lookup of an Express app, counting the lookups it makes. */
function cachedLookup() {
  const app = express();
  app.post('/things', () => undefined);
  app.use('/graphql', () => undefined);
  const asked: string[] = [];
  const cache = new RouteLookupCache(
    (request) => {
      asked.push(`${request.method} ${String(request.originalUrl ?? request.url)}`);
      return findRouteOf(app, request);
    },
    () => app.router.stack,
  );
  const templateOf = (request: LookedUpRequest) =>
    (cache.routeOf(request) as { path?: unknown } | undefined)?.path;
  return { app, asked, templateOf };
}

describe('RouteLookupCache', () => {
  it('answers as the lookup does, asking it once per method and path whatever the query', () => {
    const { asked, templateOf } = cachedLookup();
    expect(templateOf({ method: 'POST', url: '/', originalUrl: '/graphql' })).toBeUndefined();
    expect(templateOf({ method: 'POST', url: '/', originalUrl: '/graphql?x=1' })).toBeUndefined();
    expect(templateOf({ method: 'POST', url: '/things' })).toBe('/things');
    expect(templateOf({ method: 'POST', url: '/things?y=2' })).toBe('/things');
    expect(templateOf({ method: 'GET', url: '/things' })).toBeUndefined();
    expect(asked).toEqual(['POST /graphql', 'POST /things', 'GET /things']);
  });

  it('asks again once a route is added to the app', () => {
    const { app, asked, templateOf } = cachedLookup();
    expect(templateOf({ method: 'GET', url: '/late' })).toBeUndefined();
    app.get('/late', () => undefined);
    expect(templateOf({ method: 'GET', url: '/late' })).toBe('/late');
    expect(templateOf({ method: 'GET', url: '/late' })).toBe('/late');
    expect(asked).toEqual(['GET /late', 'GET /late']);
  });

  it('stops remembering at its limit and still answers past it', () => {
    const { asked, templateOf } = cachedLookup();
    for (let index = 0; index < MAX_REMEMBERED_LOOKUPS; index++) {
      templateOf({ method: 'POST', url: `/path-${index}` });
    }
    expect(templateOf({ method: 'POST', url: '/things' })).toBe('/things');
    expect(templateOf({ method: 'POST', url: '/things' })).toBe('/things');
    expect(templateOf({ method: 'POST', url: '/path-0' })).toBeUndefined();
    expect(asked).toHaveLength(MAX_REMEMBERED_LOOKUPS + 2);
  });
});
