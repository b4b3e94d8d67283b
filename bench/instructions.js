// `npm run bench -- --only=instructions` or `node bench/instructions.js [options]`: the instructions
// the server's main thread executes per request, bare against `MetricsModule.forRoot()`, on Express
// and on Fastify, counted by valgrind's callgrind. Unlike CPU time, the count does not depend on what
// else the machine runs, so it resolves differences of a few hundred instructions (~0.1 µs) where the
// CPU benches resolve about 1 µs. Options (also as BENCH_INSTR_* environment variables):
//   --platforms=express,fastify   which platforms
//   --processes=2                 server processes per app, taking turns with the other app
//   --repetitions=3               counted repetitions per process; the lowest of all is reported
//   --requests=3000               requests per repetition (a multiple of the mix's length)
//   --warmup=40000                requests before counting starts, to let V8 optimise
//   --functions=25                also print the functions that differ most, per request (self cost)
//   --compare=fastify-floor       count this setup of bench/setups.js against its platform's bare app,
//                                 instead of the module's app (e.g. the floor setups)
//   --keep                        keep callgrind's files (their directory is printed)
// The library must be built first (`npm run build`); `npm run bench` builds it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { PLATFORMS, SETUP_LABELS, platformOf } from './setups.js';
import { REQUEST_MIX } from './lib/load.js';
import { ServerProcess } from './lib/server-process.js';

const CONNECTIONS = 10;

/** The setup counted against `platform`'s bare app: the module's app unless `--compare` names one. */
function comparedSetup(compare, platform) {
  if (!compare) return PLATFORMS[platform].ours;
  if (!SETUP_LABELS[compare]) {
    throw new Error(
      `--compare=${compare}: no such setup; expected one of ${Object.keys(SETUP_LABELS).join(', ')}`,
    );
  }
  if (platformOf(compare) !== platform) {
    throw new Error(
      `--compare=${compare} runs on ${platformOf(compare)}, not ${platform}: pass --platforms=${platformOf(compare)}`,
    );
  }
  return compare;
}

/** Whether valgrind and callgrind_control are on the PATH; the reason when not. */
export function valgrindMissing() {
  for (const tool of ['valgrind', 'callgrind_control']) {
    const found = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    if (found.error) {
      return `${tool} is not installed (${found.error.code}): the instruction count needs valgrind (Debian/Ubuntu: apt-get install valgrind)`;
    }
  }
  return undefined;
}

/**
 * Reads the options of an instruction-counting script: `--name=value`, else the environment variable
 * `<prefix>_NAME` (dashes as underscores), else `fallback`.
 */
export function optionReader(prefix) {
  return (args, name, fallback) => {
    const flag = args.find((arg) => arg.startsWith(`--${name}=`));
    const env = process.env[`${prefix}_${name.toUpperCase().replaceAll('-', '_')}`];
    return flag ? flag.slice(name.length + 3) : (env ?? fallback);
  };
}

const option = optionReader('BENCH_INSTR');

/** Drives the server with exactly `amount` requests of the bench mix; fails on any error or non-2xx. */
async function drive(server, amount) {
  const result = await autocannon({
    url: server.url,
    connections: CONNECTIONS,
    amount,
    requests: REQUEST_MIX,
    timeout: 60,
  });
  if (result.errors > 0 || result.non2xx > 0 || result.requests.total !== amount) {
    throw new Error(
      `${server.setup}: ${result.requests.total}/${amount} requests, ${result.errors} errors, ${result.non2xx} non-2xx`,
    );
  }
}

function callgrindControl(server, ...args) {
  execFileSync('callgrind_control', [...args, String(server.pid)], { stdio: 'ignore' });
}

/** The main thread's dump files (thread 1), in the order they were written. */
function mainThreadDumps(directory) {
  return readdirSync(directory)
    .filter((name) => /\.\d+-01$/.test(name))
    .sort((a, b) => Number(a.match(/\.(\d+)-01$/)[1]) - Number(b.match(/\.(\d+)-01$/)[1]))
    .map((name) => join(directory, name));
}

function totalInstructions(file) {
  const text = readFileSync(file, 'utf8');
  // `summary:` stays 0 when counting starts switched off; `totals:` is the dump's count.
  const total = text.match(/^totals: (\d+)/m);
  if (!total) throw new Error(`no total in ${file}`);
  return Number(total[1]);
}

/**
 * One app alone under callgrind, counting switched off while it starts and warms up, then on for each
 * repetition only, each dumped to its own file.
 */
async function countApp(setup, plan, directory, processIndex) {
  const name = `${setup}-${processIndex}`;
  const server = await ServerProcess.start(setup, {
    wrapper: [
      'valgrind',
      '--tool=callgrind',
      '--separate-threads=yes',
      '--instr-atstart=no',
      `--callgrind-out-file=${join(directory, `${name}.out`)}`,
    ],
    startTimeoutMs: 600_000,
    nodeOptions: [
      // With the function table, V8 lists where it put each function's code, to name it below; its
      // log (which that option turns on) goes with callgrind's files.
      ...(plan.functions > 0
        ? [
            '--perf-basic-prof',
            '--no-logfile-per-isolate',
            `--logfile=${join(directory, `${name}.v8.log`)}`,
          ]
        : []),
    ],
  });
  const repetitions = [];
  try {
    await drive(server, plan.warmup);
    for (let index = 0; index < plan.repetitions; index++) {
      callgrindControl(server, '--zero');
      callgrindControl(server, '--instr=on');
      await drive(server, plan.requests);
      callgrindControl(server, '--instr=off');
      callgrindControl(server, `--dump=${name}-${index}`);
    }
  } finally {
    await server.stop();
  }
  // The first dump of each file set is the zeroed start-up; the per-repetition ones follow in order.
  const codeMap = `/tmp/perf-${server.pid}.map`;
  const dumps = mainThreadDumps(directory).filter((file) => file.includes(`/${name}.out.`));
  for (const file of dumps.slice(-plan.repetitions)) {
    repetitions.push({ file, codeMap, perRequest: totalInstructions(file) / plan.requests });
  }
  if (repetitions.length !== plan.repetitions) {
    throw new Error(`${setup}: ${repetitions.length} dumps of ${plan.repetitions} repetitions`);
  }
  return repetitions;
}

/**
 * An app counted in `plan.processes` processes of its own, taking turns with the other app of its
 * platform: V8 does not optimise two processes of the same app alike, and one process now and then
 * counts far more per request in every repetition (once 46 % more, on Fastify); the lowest
 * repetition of all is the app's figure.
 */
function lowestOf(processes) {
  const lowest = processes.flat().reduce((a, b) => (b.perRequest < a.perRequest ? b : a));
  const all = processes
    .map((repetitions) => repetitions.map((rep) => count(rep.perRequest)).join(', '))
    .join('; ');
  return { lowest, all };
}

/**
 * V8's `--perf-basic-prof` map (`start size name` in hex, one code object a line): callgrind names
 * generated code only by an address in it. The last entry written for a range wins, as code is moved
 * and replaced; an address in no range stays unnamed.
 */
export function codeNamer(mapFile) {
  let entries = [];
  try {
    entries = readFileSync(mapFile, 'utf8')
      .split('\n')
      .map((line) => line.match(/^([0-9a-f]+) ([0-9a-f]+) (.*)$/))
      .filter(Boolean)
      .map(([, start, size, name]) => ({
        start: parseInt(start, 16),
        end: parseInt(start, 16) + parseInt(size, 16),
        name,
      }));
  } catch {
    return () => undefined;
  }
  return (address) => {
    for (let index = entries.length - 1; index >= 0; index--) {
      const entry = entries[index];
      if (address >= entry.start && address < entry.end) return entry.name;
    }
    return undefined;
  };
}

/** Self cost per function of a dump, by `file:function` as callgrind_annotate names it. */
export function selfCostByFunction(file, nameCode) {
  const text = execFileSync(
    'callgrind_annotate',
    ['--inclusive=no', '--threshold=100', '--auto=no', file],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const costs = new Map();
  for (const line of text.split('\n')) {
    const match = line.match(/^\s*([\d,]+)(?:\s+\([^)]*\))?\s+(\S.*)$/);
    if (!match || !match[2].includes(':')) continue;
    // V8's generated code lands at other addresses in every process: named from V8's map.
    const address = match[2].match(/^\?\?\?:0x([0-9a-f]+)/);
    const name = address
      ? `JIT: ${nameCode(parseInt(address[1], 16)) ?? 'unnamed'}`
      : match[2].replace(/\s+\[[^\]]*\]$/, '');
    costs.set(name, (costs.get(name) ?? 0) + Number(match[1].replaceAll(',', '')));
  }
  return costs;
}

/**
 * The `top` functions whose self cost per unit (request, call) differs most between two dumps, each
 * `{ file, codeMap }`: rows of `name`, `from`, `to` and `added` (`to - from`).
 */
export function functionDifferences(from, to, units, top) {
  const before = selfCostByFunction(from.file, codeNamer(from.codeMap));
  const after = selfCostByFunction(to.file, codeNamer(to.codeMap));
  const rows = [...new Set([...before.keys(), ...after.keys()])].map((name) => ({
    name,
    from: (before.get(name) ?? 0) / units,
    to: (after.get(name) ?? 0) / units,
  }));
  for (const row of rows) row.added = row.to - row.from;
  rows.sort((a, b) => Math.abs(b.added) - Math.abs(a.added));
  return rows.slice(0, top);
}

const count = (value) => Math.round(value).toLocaleString('en-US');

/** Counts every platform's pair and returns the report; `log` gets progress lines. */
export async function measureInstructions(args = [], log = () => {}) {
  const missing = valgrindMissing();
  if (missing) throw new Error(missing);
  const plan = {
    platforms: option(args, 'platforms', 'express,fastify').split(','),
    processes: Number(option(args, 'processes', 2)),
    repetitions: Number(option(args, 'repetitions', 3)),
    requests: Number(option(args, 'requests', 3000)),
    warmup: Number(option(args, 'warmup', 40000)),
    functions: Number(option(args, 'functions', 0)),
    compare: option(args, 'compare', ''),
  };
  if (plan.requests % REQUEST_MIX.length !== 0) {
    throw new Error(`--requests must be a multiple of ${REQUEST_MIX.length}, the mix's length`);
  }
  const directory = mkdtempSync(join(tmpdir(), 'instructions-'));
  const lines = [
    `Instructions per request, server main thread, callgrind; lowest of ${plan.processes} processes × ${plan.repetitions} repetitions of ${count(plan.requests)} requests after ${count(plan.warmup)} (${CONNECTIONS} connections, the bench mix):`,
    '',
    `| platform | bare | ${plan.compare || 'MetricsModule.forRoot()'} | added | every repetition (processes split by ;), bare / compared |`,
    '| -------- | ---: | ----------------------: | ----: | ------------------------------- |',
  ];
  const details = [];
  const codeMaps = [];
  try {
    for (const platform of plan.platforms) {
      const { name, bare } = PLATFORMS[platform];
      const ours = comparedSetup(plan.compare, platform);
      const bareRuns = [];
      const oursRuns = [];
      for (let index = 0; index < plan.processes; index++) {
        log(`${name}: counting ${bare}, process ${index + 1} of ${plan.processes}`);
        bareRuns.push(await countApp(bare, plan, directory, index));
        log(`${name}: counting ${ours}, process ${index + 1} of ${plan.processes}`);
        oursRuns.push(await countApp(ours, plan, directory, index));
      }
      if (plan.functions > 0) {
        codeMaps.push(...[...bareRuns, ...oursRuns].map((repetitions) => repetitions[0].codeMap));
      }
      const bareCount = lowestOf(bareRuns);
      const oursCount = lowestOf(oursRuns);
      lines.push(
        `| ${name} | ${count(bareCount.lowest.perRequest)} | ${count(oursCount.lowest.perRequest)} | ${count(oursCount.lowest.perRequest - bareCount.lowest.perRequest)} | ${bareCount.all} / ${oursCount.all} |`,
      );
      if (plan.functions > 0) {
        details.push(
          '',
          `${name}, the ${plan.functions} functions whose self cost per request differs most (lowest repetitions):`,
          '',
          '| added | bare | module | function |',
          '| ----: | ---: | -----: | -------- |',
          ...functionDifferences(
            bareCount.lowest,
            oursCount.lowest,
            plan.requests,
            plan.functions,
          ).map(
            (row) =>
              `| ${count(row.added)} | ${count(row.from)} | ${count(row.to)} | \`${row.name.slice(0, 110)}\` |`,
          ),
        );
      }
    }
  } finally {
    if (args.includes('--keep') || process.env.BENCH_INSTR_KEEP) {
      log(`callgrind files in ${directory}, V8's code maps in ${codeMaps.join(', ') || 'none'}`);
    } else {
      rmSync(directory, { recursive: true, force: true });
      for (const file of codeMaps) rmSync(file, { force: true });
    }
  }
  return [...lines, ...details].join('\n');
}

/**
 * Runs an instruction-counting script from the command line: exits with status 2 and the reason when
 * valgrind is missing, prints `measure`'s report, exits with 1 and the stack when it fails.
 */
export function runCountingScript(script, measure) {
  const missing = valgrindMissing();
  if (missing) {
    process.stderr.write(`${script}: ${missing}\n`);
    process.exit(2);
  }
  const log = (line) =>
    process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  measure(process.argv.slice(2), log).then(
    (text) => process.stdout.write(`\n${text}\n`),
    (error) => {
      process.stderr.write(`${error.stack ?? error}\n`);
      process.exit(1);
    },
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runCountingScript('bench/instructions.js', measureInstructions);
}
