import { describe, expect, it } from '@jest/globals';
import express from 'express';
import { findRouteOf } from './route-lookup.js';

function appWithRoutes() {
  const app = express();
  const handler = () => undefined;
  app.use(express.json());
  app.get('/things/:id', handler);
  app.post('/things', handler);
  app.all('/any', handler);
  const nested = express.Router();
  nested.put('/items/:itemId', handler);
  app.use('/api/:version', nested);
  return app;
}

/** The template of the route found, as the platform reads it. */
function templateFor(method: string, url: string, originalUrl?: string): unknown {
  const route = findRouteOf(appWithRoutes(), { method, url, originalUrl });
  return route && (route as { path?: unknown }).path;
}

describe('findRouteOf', () => {
  it('finds the route the router would pick, by method and path, ignoring the query', () => {
    expect(templateFor('GET', '/things/7?secret=1')).toBe('/things/:id');
    expect(templateFor('POST', '/things')).toBe('/things');
    expect(templateFor('DELETE', '/any')).toBe('/any');
  });

  it('answers HEAD with a GET route, as the router does', () => {
    expect(templateFor('HEAD', '/things/7')).toBe('/things/:id');
  });

  it('follows a nested router past the path it is mounted at', () => {
    expect(templateFor('PUT', '/api/v2/items/9')).toBe('/items/:itemId');
  });

  it('reads the original URL, which a mounted middleware does not trim', () => {
    expect(templateFor('GET', '/', '/things/7')).toBe('/things/:id');
  });

  it('finds nothing for another method, an unknown path or a path it cannot decode', () => {
    expect(templateFor('DELETE', '/things/7')).toBeUndefined();
    expect(templateFor('GET', '/nowhere')).toBeUndefined();
    expect(templateFor('GET', '/things/%E0%A4%A')).toBeUndefined();
    expect(templateFor('GET', 'http://example.test/things/7')).toBeUndefined();
  });

  it('finds nothing in an app it cannot read', () => {
    expect(findRouteOf(undefined, { method: 'GET', url: '/things/7' })).toBeUndefined();
    expect(findRouteOf({}, { method: 'GET', url: '/things/7' })).toBeUndefined();
  });
});
