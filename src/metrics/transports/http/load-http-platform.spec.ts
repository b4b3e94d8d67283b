import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExpressPlatform } from '../express/express-platform.js';
import { FastifyPlatform } from '../fastify/fastify-platform.js';
import { loadHttpPlatform } from './load-http-platform.js';

const LIBRARY_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PLATFORM_PACKAGES = /from ['"](express|fastify|@nestjs\/platform-[\w-]+)(\/[^'"]*)?['"]/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('loading the HTTP platform', () => {
  it('loads the part of the platform Nest reports, and none for one it does not know', async () => {
    expect(await loadHttpPlatform('express')).toBeInstanceOf(ExpressPlatform);
    expect(await loadHttpPlatform('fastify')).toBeInstanceOf(FastifyPlatform);
    expect(await loadHttpPlatform('koa')).toBeUndefined();
    expect(await loadHttpPlatform(undefined)).toBeUndefined();
  });

  it('imports no platform package anywhere in the library, so neither is ever required', () => {
    const offenders = sourceFiles(LIBRARY_ROOT)
      .filter((file) => PLATFORM_PACKAGES.test(readFileSync(file, 'utf8')))
      .map((file) => relative(LIBRARY_ROOT, file));
    expect(offenders).toEqual([]);
  });
});
