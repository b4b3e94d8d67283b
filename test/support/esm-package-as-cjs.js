/**
 * Jest global setup and resolver: makes Mercurius loadable inside Jest.
 *
 * Mercurius is CommonJS and `require()`s @fastify/static, which `require()`s content-disposition 3, an
 * ES module only. Node 20 itself can `require()` an ES module, which is why Mercurius works for users,
 * but Jest's own module loader cannot before Node 24.9 (the same gap as in cjs-package-as-esm.js, the
 * other way round). So before the suite runs, that copy of content-disposition is rewritten into an
 * equivalent CommonJS file (its `export function`s become `module.exports` entries; nothing else
 * changes), and the resolver below hands it to @fastify/static alone: Express requires another
 * content-disposition, which must stay as it is. The rewrite fails loudly on any other shape, so an
 * upgrade of the package cannot go unnoticed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const REQUIRER = join(root, 'node_modules', '@fastify', 'static');
const PACKAGE = 'content-disposition';
const SOURCE = join(REQUIRER, 'node_modules', PACKAGE, 'dist', 'index.js');
export const OUTPUT = join(
  root,
  'node_modules',
  '.cache',
  'nestjs-instrumentator',
  'content-disposition-cjs',
  'index.cjs',
);

export function convertPackage() {
  const exported = [];
  const source = readFileSync(SOURCE, 'utf8');
  const lines = source.split('\n').map((line) => {
    const match = /^export (function|const|class) ([\w$]+)/.exec(line);
    if (!match) return line;
    exported.push(match[2]);
    return line.slice('export '.length);
  });
  const leftover = lines.find((line) => /^\s*(import|export)\b/.test(line));
  if (leftover)
    throw new Error(`Cannot rewrite ${SOURCE} as CommonJS; unexpected line: ${leftover}`);
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(
    OUTPUT,
    `'use strict';\n${lines.join('\n')}\nmodule.exports = { ${exported.join(', ')} };\n`,
  );
}

/** Jest's `resolver`: the rewritten copy for @fastify/static's own `require`, the default otherwise. */
export default function resolve(request, options) {
  const { basedir } = options;
  if (request === PACKAGE && (basedir === REQUIRER || basedir.startsWith(REQUIRER + sep))) {
    return OUTPUT;
  }
  return options.defaultResolver(request, options);
}
