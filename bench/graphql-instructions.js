// Instructions per GraphQL operation, counted by valgrind's callgrind instead of timed: the CPU
// bench resolves a few µs at best on a shared machine, an instruction count a few hundred
// instructions. Each GraphQL setup of bench/app.js (the bare app, the same app with MetricsModule)
// runs alone in its own process under `valgrind --tool=callgrind`, is warmed with the GraphQL mix of
// the bench (autocannon from this process, outside valgrind), and is counted only during repetitions
// of OPERATIONS operations (`callgrind_control -i on/off`). Each repetition starts after a full GC,
// so that it pays for the scavenges its own operations cause.
//
//   npm run build && node bench/graphql-instructions.js          # 10-25 min on 2 shared cores
//   GRAPHQL_WARM_UP=30000 GRAPHQL_OPERATIONS=3000 GRAPHQL_REPS=5 node bench/graphql-instructions.js
//   node bench/graphql-instructions.js --keep                    # keep the dumps, for callgrind_annotate
//   node bench/graphql-instructions.js graphql-instrumentator    # some setups only
//   node bench/graphql-instructions.js bare instrumentator       # the plain Express app, same method
//   GRAPHQL_NODE_FLAGS='--perf-basic-prof --interpreted-frames-native-stack' node bench/graphql-instructions.js --keep
//
// It exits with status 2 and says so when valgrind is missing.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { GRAPHQL_MIX, REQUEST_MIX } from './lib/load.js';
import { GRAPHQL_SETUPS } from './setups.js';
import { valgrindMissing } from './instructions.js';

const SELF = fileURLToPath(import.meta.url);
const WARM_UP = Number(process.env.GRAPHQL_WARM_UP ?? 10_000);
const OPERATIONS = Number(process.env.GRAPHQL_OPERATIONS ?? 2_000);
const REPS = Number(process.env.GRAPHQL_REPS ?? 3);
const CONNECTIONS = 10;
/**
 * More flags for the measured Node, e.g. `--perf-basic-prof --interpreted-frames-native-stack`: V8
 * then writes /tmp/perf-<pid>.map, which names the JavaScript functions behind the JIT code's
 * addresses in the dumps (callgrind itself names only Node's and V8's own functions).
 */
const NODE_FLAGS = (process.env.GRAPHQL_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const run = promisify(execFile);

if (process.argv[2] === '--serve') await serve(process.argv[3]);
else await launch();

/**
 * The process under valgrind: one setup's app, its port on stdout, and a full GC on each `gc` line
 * read from stdin (answered with `gc done`), so that no request is added to the app.
 */
async function serve(setup) {
  const { startApp } = await import('./app.js');
  const { app, port } = await startApp(setup);
  // Under valgrind an operation takes about 100 times as long: a keep-alive connection must not time
  // out while its next request waits for a long GC. The timer is still set after every response.
  app.getHttpServer().keepAliveTimeout = 600_000;
  process.stdout.write(`port ${port}\n`);
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line !== 'gc') return;
    globalThis.gc();
    process.stdout.write('gc done\n');
  });
}

/**
 * Sends the setup's mix until `amount` requests are answered; fails on any error or non-2xx answer.
 * The GraphQL setups get the GraphQL mix, the plain Express ones (`bare`, `instrumentator`: the HTTP
 * comparison the GraphQL overhead is held to) the usual one.
 */
async function operate(setup, port, amount) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    amount,
    requests: setup.startsWith('graphql-') ? GRAPHQL_MIX : REQUEST_MIX,
    timeout: 120,
  });
  if (result.errors > 0 || result.non2xx > 0)
    throw new Error(`${result.errors} connection errors, ${result.non2xx} non-2xx answers`);
}

/** Instructions (`Ir`) in one callgrind dump, from its `totals:` line (its `summary:` line is 0). */
function instructionsIn(file) {
  const line = /^totals:\s*(\d+)/m.exec(readFileSync(file, 'utf8'));
  if (!line) throw new Error(`no totals in ${file}`);
  return Number(line[1]);
}

/** One setup under valgrind: main-thread and all-thread instructions per operation, per repetition. */
async function countSetup(setup, directory, log) {
  const out = join(directory, `${setup}.out`);
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      '--separate-threads=yes',
      `--callgrind-out-file=${out}`,
      process.execPath,
      '--expose-gc',
      ...NODE_FLAGS,
      SELF,
      '--serve',
      setup,
    ],
    // V8's logs (with --perf-basic-prof, say) go with the dumps, not into the worktree.
    { stdio: ['pipe', 'pipe', 'pipe'], cwd: directory },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise((_, reject) =>
    child.once('exit', (code) => reject(new Error(`${setup} exited (${code}): ${stderr}`))),
  );
  exited.catch(() => {});
  const lines = createInterface({ input: child.stdout });
  const nextLine = (prefix) =>
    Promise.race([
      exited,
      new Promise((resolve) => {
        const onLine = (line) => {
          if (!line.startsWith(prefix)) return;
          lines.off('line', onLine);
          resolve(line);
        };
        lines.on('line', onLine);
      }),
    ]);
  try {
    const port = Number((await nextLine('port ')).split(' ')[1]);
    log(
      `${setup}: under valgrind (pid ${child.pid}) on port ${port}, warming with ${WARM_UP} operations`,
    );
    await operate(setup, port, WARM_UP);
    const reps = [];
    for (let rep = 1; rep <= REPS; rep++) {
      const gcDone = nextLine('gc done');
      child.stdin.write('gc\n');
      await gcDone;
      await run('callgrind_control', ['-z', String(child.pid)]);
      await run('callgrind_control', ['-i', 'on', String(child.pid)]);
      await operate(setup, port, OPERATIONS);
      await run('callgrind_control', ['-i', 'off', String(child.pid)]);
      await run('callgrind_control', ['-d', String(child.pid)]);
      // Dumps are numbered in order; one file per thread that ran, `-01` the main thread.
      const files = readdirSync(directory).filter((name) =>
        new RegExp(`^${setup}\\.out\\.${rep}-\\d+$`).test(name),
      );
      const main = files.find((name) => name.endsWith('-01'));
      if (!main) throw new Error(`${setup}: no dump of the main thread for repetition ${rep}`);
      const all = files.reduce((sum, name) => sum + instructionsIn(join(directory, name)), 0);
      reps.push({
        main: instructionsIn(join(directory, main)) / OPERATIONS,
        all: all / OPERATIONS,
        dump: join(directory, main),
      });
      log(
        `${setup}: repetition ${rep}, ${Math.round(reps.at(-1).main)} main-thread instructions/op`,
      );
    }
    return reps;
  } finally {
    // valgrind writes a last dump as the process ends: wait for it before the directory goes.
    child.kill('SIGTERM');
    await exited.catch(() => {});
  }
}

async function launch() {
  const missing = valgrindMissing();
  if (missing) {
    process.stderr.write(`graphql-instructions: ${missing}\n`);
    process.exit(2);
  }
  if (!existsSync(new URL('../dist/metrics/index.js', import.meta.url))) {
    process.stderr.write('graphql-instructions: build the library first (npm run build).\n');
    process.exit(2);
  }
  const keep = process.argv.includes('--keep');
  const setups = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  const chosen = setups.length > 0 ? setups : GRAPHQL_SETUPS;
  const directory = mkdtempSync(join(tmpdir(), 'graphql-instructions-'));
  const log = (line) => process.stderr.write(`${line}\n`);
  const started = Date.now();
  // The setups run side by side: an instruction count does not depend on what else runs.
  const counted = await Promise.all(chosen.map((setup) => countSetup(setup, directory, log)));
  const fmt = (value) => Math.round(value).toLocaleString('en');
  const lowest = (reps, field) => Math.min(...reps.map((rep) => rep[field]));
  const rows = chosen.map((setup, index) => {
    const reps = counted[index];
    const best = reps.reduce((a, b) => (b.main < a.main ? b : a));
    return {
      setup,
      main: lowest(reps, 'main'),
      all: lowest(reps, 'all'),
      reps: reps.map((rep) => rep.main),
      dump: best.dump,
    };
  });
  const [baseline] = rows;
  const load = readFileSync('/proc/loadavg', 'utf8').trim();
  process.stdout.write(
    [
      `Instructions per GraphQL operation, lowest of ${REPS} repetitions of ${OPERATIONS} operations after ${WARM_UP} ` +
        `(${CONNECTIONS} connections; ${((Date.now() - started) / 60000).toFixed(1)} min, load average ${load})`,
      '',
      '| setup | main thread | over the first | all threads | main thread, each repetition |',
      '| --- | ---: | ---: | ---: | --- |',
      ...rows.map(
        (row) =>
          `| ${row.setup} | ${fmt(row.main)} | ${row === baseline ? '' : `+${fmt(row.main - baseline.main)}`} | ${fmt(row.all)} | ${row.reps.map(fmt).join(' ')} |`,
      ),
      '',
      keep
        ? `Dumps kept in ${directory}; the lowest repetition's main thread: ${rows.map((row) => row.dump).join(' ')}`
        : '',
      '',
    ].join('\n'),
  );
  if (!keep) rmSync(directory, { recursive: true, force: true });
}
