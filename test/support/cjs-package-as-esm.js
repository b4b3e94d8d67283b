/**
 * Jest global setup: makes @willsoto/nestjs-prometheus loadable inside Jest.
 *
 * That package ships CommonJS that `require()`s @nestjs/common, and Nest 12 ships only ES modules. Node 20
 * itself can `require()` an ES module, which is why the library works for users, but Jest's own module
 * loader cannot before Node 24.9. So before the suite runs, the package's compiled files are rewritten
 * into equivalent ES modules (its `require`s become `import`s, its `exports.x` become `export`s; nothing
 * else changes) and jest.config.js maps the package name to the result. The rewrite handles the shapes
 * TypeScript emits and fails loudly on anything else, so an upgrade of the package cannot go unnoticed.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SOURCE_DIR = join(root, 'node_modules', '@willsoto', 'nestjs-prometheus', 'dist');
export const OUTPUT_DIR = join(
  root,
  'node_modules',
  '.cache',
  'nestjs-instrumentator',
  'nestjs-prometheus-esm',
);

export default function convertPackage() {
  rmSync(OUTPUT_DIR, { recursive: true, force: true });
  for (const file of listJs(SOURCE_DIR)) {
    const target = join(OUTPUT_DIR, relative(SOURCE_DIR, file)).replace(/\.js$/, '.mjs');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, toEsm(readFileSync(file, 'utf8'), dirname(file), file));
  }
}

function listJs(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listJs(path);
    return name.endsWith('.js') ? [path] : [];
  });
}

function toEsm(source, dir, file) {
  const exported = new Set();
  const specifier = (spec) => {
    if (!spec.startsWith('.')) return spec;
    const path = join(dir, spec);
    try {
      if (statSync(path).isDirectory()) return `${spec}/index.mjs`;
    } catch {
      // not a directory: a file without its extension
    }
    return `${spec}.mjs`;
  };
  const lines = source.split('\n').map((line) => {
    if (line === '"use strict";') return '';
    if (line === 'Object.defineProperty(exports, "__esModule", { value: true });') return '';
    if (/^exports\.[\w$]+( = exports\.[\w$]+)* = void 0;$/.test(line)) return '';
    let match = /^const ([\w$]+) = (?:__importStar\()?require\("([^"]+)"\)\)?;$/.exec(line);
    if (match) return `import * as ${match[1]} from "${specifier(match[2])}";`;
    match = /^__exportStar\(require\("([^"]+)"\), exports\);$/.exec(line);
    if (match) return `export * from "${specifier(match[1])}";`;
    match = /^exports\.([\w$]+) = \1;$/.exec(line);
    if (match) {
      exported.add(match[1]);
      return '';
    }
    match = /^exports\.([\w$]+) = \1 = (.*)$/.exec(line);
    if (match) {
      exported.add(match[1]);
      return `${match[1]} = ${match[2]}`;
    }
    match = /^exports\.([\w$]+) = (.*)$/.exec(line);
    if (match) {
      exported.add(match[1]);
      return `const ${match[1]} = ${match[2]}`;
    }
    return line;
  });
  const output = lines.join('\n');
  const leftover = output.split('\n').find((line) => /\brequire\("|^\s*exports\./.test(line));
  if (leftover)
    throw new Error(`Cannot rewrite ${file} as an ES module; unexpected line: ${leftover}`);
  return `${output}\n${exported.size > 0 ? `export { ${[...exported].join(', ')} };\n` : ''}`;
}
