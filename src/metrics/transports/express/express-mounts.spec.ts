import { describe, expect, it } from '@jest/globals';
import express from 'express';
import { MIDDLEWARE_ENDPOINT, UNMATCHED_ENDPOINT } from '../../metrics.constants.js';
import { MountedMiddlewareEndpoints } from '../http/mounted-middleware-endpoint.js';
import { expressMiddlewareMounts } from './express-mounts.js';

function appWith(...mounts: Array<string | RegExp>) {
  const app = express();
  for (const mount of mounts) app.use(mount as string, () => undefined);
  return new MountedMiddlewareEndpoints(expressMiddlewareMounts(() => app));
}

describe('MountedMiddlewareEndpoints on Express', () => {
  it('names a literal mount by the path the app registered, whatever casing the client sent', () => {
    const endpoints = appWith('/graphql', '/api/assets');
    expect(endpoints.endpointOf({ baseUrl: '/graphql' }, 200)).toBe('/graphql');
    expect(endpoints.endpointOf({ baseUrl: '/GraphQL' }, 400)).toBe('/graphql');
    expect(endpoints.endpointOf({ baseUrl: '/api/assets' }, undefined)).toBe('/api/assets');
  });

  it('never puts client text from a parameterized, wildcard or RegExp mount in the label', () => {
    const endpoints = appWith('/files/:owner', '/blob/*rest', /^\/re\/\d+/);
    expect(endpoints.endpointOf({ baseUrl: '/files/alice' }, 200)).toBe(MIDDLEWARE_ENDPOINT);
    expect(endpoints.endpointOf({ baseUrl: '/blob/a/b' }, 200)).toBe(MIDDLEWARE_ENDPOINT);
    expect(endpoints.endpointOf({ baseUrl: '/re/42' }, 200)).toBe(MIDDLEWARE_ENDPOINT);
  });

  it('tells root middleware that answered from what nothing handled by the status', () => {
    const endpoints = appWith('/graphql');
    expect(endpoints.endpointOf({ baseUrl: '' }, 200)).toBe(MIDDLEWARE_ENDPOINT);
    expect(endpoints.endpointOf({ baseUrl: '' }, 304)).toBe(MIDDLEWARE_ENDPOINT);
    expect(endpoints.endpointOf({ baseUrl: '' }, 404)).toBe(UNMATCHED_ENDPOINT);
    expect(endpoints.endpointOf({}, 400)).toBe(UNMATCHED_ENDPOINT);
    expect(endpoints.endpointOf({}, undefined)).toBe(UNMATCHED_ENDPOINT);
  });

  it('answers <middleware> for an app it cannot read', () => {
    const endpoints = new MountedMiddlewareEndpoints(expressMiddlewareMounts(() => undefined));
    expect(endpoints.endpointOf({ baseUrl: '/graphql' }, 200)).toBe(MIDDLEWARE_ENDPOINT);
  });
});
