// `node bench/profile.js [setup] [seconds]`: runs one setup under the benchmark's load with
// `node --cpu-prof`, then prints where the server's CPU time went. Build the library first.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GRAPHQL_MIX, REQUEST_MIX, load } from './lib/load.js';
import { ServerProcess } from './lib/server-process.js';

const [setup = 'instrumentator', seconds = '10'] = process.argv.slice(2);
const directory = mkdtempSync(join(tmpdir(), 'bench-profile-'));
try {
  const server = await ServerProcess.start(setup, {
    nodeOptions: ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${directory}`],
  });
  try {
    const mix = setup.startsWith('graphql-') ? GRAPHQL_MIX : REQUEST_MIX;
    await load(server, 2, mix);
    const result = await load(server, Number(seconds), mix);
    console.log(`${setup}: ${result.throughput.toFixed(0)} req/s under the profiler`);
  } finally {
    await server.stop();
  }
  const file = readdirSync(directory).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error('the server wrote no profile');
  const profile = JSON.parse(readFileSync(join(directory, file), 'utf8'));
  printProfile(profile);
  if (process.env.PROFILE_LINES) printLineTicks(profile, process.env.PROFILE_LINES);
} finally {
  rmSync(directory, { recursive: true, force: true });
}

function printProfile({ nodes, samples, timeDeltas }) {
  const selfTime = new Map();
  const byId = new Map(nodes.map((node) => [node.id, node]));
  samples.forEach((id, index) =>
    selfTime.set(id, (selfTime.get(id) ?? 0) + (timeDeltas[index] ?? 0)),
  );
  const parentOf = new Map();
  for (const node of nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const total = [...selfTime.values()].reduce((sum, value) => sum + value, 0);
  const name = (node) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url
      .replace(/^.*node_modules\//, '')
      .replace(/^file:\/\/.*\/(dist|bench)\//, '$1/');
    return `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
  };
  const bySelf = new Map();
  const byInclusive = new Map();
  for (const [id, time] of selfTime) {
    const key = name(byId.get(id));
    bySelf.set(key, (bySelf.get(key) ?? 0) + time);
    const seen = new Set();
    for (let current = id; current !== undefined; current = parentOf.get(current)) {
      const ancestor = name(byId.get(current));
      if (seen.has(ancestor)) continue;
      seen.add(ancestor);
      byInclusive.set(ancestor, (byInclusive.get(ancestor) ?? 0) + time);
    }
  }
  // The share of busy samples with an instrumentation frame anywhere on the stack, start-up excluded.
  const instrumentation =
    /dist\/metrics|prom-client|express-prom-bundle|nestjs-prometheus|bench\/app\.js/;
  const startup = /^(startApp|ModuleJob\.run|compileForInternalLoader)$/;
  let busy = 0;
  let instrumented = 0;
  for (const [index, id] of samples.entries()) {
    const time = timeDeltas[index] ?? 0;
    const leaf = byId.get(id).callFrame.functionName;
    if (leaf === '(idle)' || leaf === '(program)') continue;
    let hit = false;
    let atStartup = false;
    for (let current = id; current !== undefined; current = parentOf.get(current)) {
      const frame = byId.get(current).callFrame;
      if (startup.test(frame.functionName)) atStartup = true;
      if (
        instrumentation.test(frame.url) &&
        !/^(home|item|createUser|answer)$/.test(frame.functionName)
      )
        hit = true;
    }
    if (atStartup) continue;
    busy += time;
    if (hit) instrumented += time;
  }
  // Exact for the library, whose hooks run from events; an upper bound for a middleware or an
  // interceptor, under whose frames the rest of the request runs.
  console.log(
    `\ninstrumentation frames on the stack: ${((100 * instrumented) / busy).toFixed(2)}% of busy samples`,
  );
  const print = (title, map, filter = () => true, limit = 25) => {
    console.log(`\n${title}`);
    [...map]
      .filter(([key]) => filter(key))
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .forEach(([key, time]) =>
        console.log(`${((100 * time) / total).toFixed(2).padStart(6)}%  ${key}`),
      );
  };
  print('self time', bySelf);
  print('inclusive time of the library and the peers', byInclusive, (key) =>
    /dist\/metrics|prom-client|express-prom-bundle|nestjs-prometheus|bench\/app/.test(key),
  );
}

/** Sample counts per source line of the functions whose name matches, e.g. PROFILE_LINES=finish. */
function printLineTicks({ nodes }, functionPattern) {
  const pattern = new RegExp(functionPattern);
  const ticks = new Map();
  for (const node of nodes) {
    if (!pattern.test(node.callFrame.functionName) || !node.callFrame.url.includes('/dist/'))
      continue;
    for (const { line, ticks: count } of node.positionTicks ?? []) {
      const key = `${node.callFrame.functionName} ${node.callFrame.url.replace(/^.*\/dist\//, 'dist/')}:${line}`;
      ticks.set(key, (ticks.get(key) ?? 0) + count);
    }
  }
  console.log(`\nself samples by line (${functionPattern})`);
  [...ticks]
    .sort((a, b) => b[1] - a[1])
    .forEach(([key, count]) => console.log(`${String(count).padStart(6)}  ${key}`));
}
