// `npm run bench -- --only=outbound-instructions` or `node bench/outbound-instructions.js [options]`:
// instructions per outbound call (global `fetch`, `http.request`) with the outbound recorder off,
// with subscribers that do nothing on its channels, on, and off again, counted by valgrind's callgrind
// in one process set up as bench/outbound-cost.js sets it up (bench/lib/outbound-setup.js). CPU time
// resolves about ±2 µs per `fetch` call on a shared machine; a count resolves a few hundred
// instructions. Options (also as BENCH_OUTBOUND_INSTR_* environment variables):
//   --clients=fetch,http.request  which clients
//   --calls=300                   calls per counted block
//   --repetitions=8               counted blocks per client and state; the lowest is reported
//   --warmup=5000                 calls per client and state before counting starts
//   --settle=300                  calls after each switch of state, before its block is counted
//   --native-calls=6000           calls per state in the run without valgrind that prices an instruction
//   --functions=25                also print, per client, the functions whose self cost per call
//                                 differs most between states (main thread, lowest blocks)
//   --keep                        keep callgrind's files (their directory is printed)
// The library must be built first (`npm run build`); `npm run bench` builds it. Without valgrind it
// exits with status 2 and says why.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  functionDifferences,
  optionReader,
  runCountingScript,
  valgrindMissing,
} from './instructions.js';
import { CLIENT_NAMES, STATES } from './lib/outbound-setup.js';

const SELF = fileURLToPath(import.meta.url);
const run = promisify(execFile);

const option = optionReader('BENCH_OUTBOUND_INSTR');

/**
 * The measured process: the bench's upstream, app and clients, driven by one command a line on stdin
 * and answering each on stdout, so that the launcher can switch counting on and off between commands.
 */
async function serve() {
  const { startOutboundBench } = await import('./lib/outbound-setup.js');
  const bench = await startOutboundBench();
  let state = 'off';
  const commands = {
    enter: (next) => {
      bench.leave(state);
      state = next;
      bench.enter(state);
    },
    // Each call up to the turn after it, as in outbound-cost.js: a request's `close` comes after its
    // response's `end`. Answers with the process CPU of the calls, for the run without valgrind.
    calls: async (client, amount) => {
      const before = process.cpuUsage();
      for (let call = 0; call < Number(amount); call++) {
        await bench.clients[client]();
        await nextTurn();
      }
      const used = process.cpuUsage(before);
      if (state === 'on') bench.recorded(Number(amount));
      return `${used.user} ${used.system}`;
    },
    close: async () => {
      bench.leave(state);
      return String(await bench.close());
    },
  };
  process.stdout.write('ready\n');
  // One command at a time: the launcher waits for each answer before it sends the next.
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, ...words] = line.split(' ');
    const answer = await commands[command](...words);
    process.stdout.write(`ok ${answer ?? ''}\n`);
    if (command === 'close') break;
  }
  process.exit(0);
}

/** Starts the measured process, under valgrind when `valgrind` lists its arguments. */
function startChild(valgrind, nodeFlags, directory) {
  const child = spawn(
    valgrind ? 'valgrind' : process.execPath,
    [...(valgrind ? [...valgrind, process.execPath] : []), ...nodeFlags, SELF, '--serve'],
    // V8's logs (with --perf-basic-prof) go with the dumps, not into the worktree.
    { stdio: ['pipe', 'pipe', 'pipe'], cwd: directory },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`measured process exited (${code}): ${stderr}`)),
    ),
  );
  exited.catch(() => {});
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async () => {
    const next = await Promise.race([exited.then(() => ({ done: true })), lines.next()]);
    if (next.done) throw new Error(`measured process ended early: ${stderr}`);
    return next.value;
  };
  const ask = async (...words) => {
    child.stdin.write(`${words.join(' ')}\n`);
    const line = await nextLine();
    if (!line.startsWith('ok')) throw new Error(`measured process answered "${line}"`);
    return line.slice(3);
  };
  return {
    pid: child.pid,
    ready: async () => {
      const line = await nextLine();
      if (line !== 'ready') throw new Error(`measured process said "${line}"`);
    },
    ask,
    async close() {
      const counted = Number(await ask('close'));
      child.stdin.end();
      await exited;
      return counted;
    },
    kill: () => child.kill('SIGTERM'),
    exited,
  };
}

/** Instructions (`Ir`) in one callgrind dump, from its `totals:` line (its `summary:` line is 0). */
function instructionsIn(file) {
  const line = /^totals:\s*(\d+)/m.exec(readFileSync(file, 'utf8'));
  if (!line) throw new Error(`no totals in ${file}`);
  return Number(line[1]);
}

/** Warms every state of every client up: `amount` calls each, in two passes in opposite orders. */
async function warmUp(child, plan, log) {
  for (const client of plan.clients) {
    for (const order of [STATES, [...STATES].reverse()]) {
      for (const state of order) {
        await child.ask('enter', state);
        await child.ask('calls', client, Math.ceil(plan.warmup / 2));
      }
    }
    log(`${client}: warmed up, ${plan.warmup} calls in each state`);
  }
}

/**
 * The counted run: for each client, `repetitions` rounds of one block per state, in an order rotated
 * every round. Before each block, the state is entered and `settle` calls let V8 reoptimize what the
 * switch threw away. Counting is on for the block's calls only, and each block is one dump (`-01` the
 * main thread). No GC is forced: a full GC drops the maps of objects made per call, and with them the
 * feedback and the optimized code that used them, which V8 then rebuilds in the counted block (equal
 * `fetch` blocks differed by 10 %, 80,000 instructions per call, with one right before each block;
 * by 4 % with one before the settling calls); a scavenge before each block, tried too, left equal
 * blocks as far apart. A major GC that falls in a block makes it count more; the lowest block leaves
 * it out.
 */
async function countBlocks(plan, directory, log) {
  const out = join(directory, 'outbound.out');
  const child = startChild(
    [
      '--tool=callgrind',
      '--separate-threads=yes',
      '--instr-atstart=no',
      // valgrind runs one thread at a time and by default need not hand its lock over fairly: so
      // that V8's compiler and GC threads get their turns while the main thread, always busy here,
      // makes calls (a precaution; no run without it was compared).
      '--fair-sched=yes',
      `--callgrind-out-file=${out}`,
    ],
    plan.functions > 0 ? ['--perf-basic-prof', '--interpreted-frames-native-stack'] : [],
    directory,
  );
  const counts = {};
  let dumps = 0;
  try {
    await child.ready();
    log(`under valgrind (pid ${child.pid}), warming up`);
    await warmUp(child, plan, log);
    const control = (...args) => run('callgrind_control', [...args, String(child.pid)]);
    for (const client of plan.clients) {
      counts[client] = Object.fromEntries(STATES.map((state) => [state, []]));
      for (let repetition = 0; repetition < plan.repetitions; repetition++) {
        const order = STATES.map((_, index) => STATES[(index + repetition) % STATES.length]);
        for (const state of order) {
          await child.ask('enter', state);
          await child.ask('calls', client, plan.settle);
          await control('-z');
          await control('-i', 'on');
          await child.ask('calls', client, plan.calls);
          await control('-i', 'off');
          await control('-d');
          dumps += 1;
          const files = readdirSync(directory).filter((name) =>
            new RegExp(`^outbound\\.out\\.${dumps}-\\d+$`).test(name),
          );
          const main = files.find((name) => name.endsWith('-01'));
          if (!main) throw new Error(`no dump of the main thread for block ${dumps}`);
          counts[client][state].push({
            main: instructionsIn(join(directory, main)) / plan.calls,
            all:
              files.reduce((sum, name) => sum + instructionsIn(join(directory, name)), 0) /
              plan.calls,
            file: join(directory, main),
          });
        }
        log(
          `${client}, repetition ${repetition + 1}: ` +
            STATES.map((state) => `${state} ${count(counts[client][state].at(-1).main)}`).join(
              ', ',
            ) +
            ' main-thread instructions per call',
        );
      }
    }
    const counted = await child.close();
    log(`${counted} calls made while recording, all counted`);
  } finally {
    child.kill();
    await child.exited.catch(() => {});
  }
  return { counts, codeMap: `/tmp/perf-${child.pid}.map` };
}

/**
 * The same process and the same blocks without valgrind, for the CPU time of a call in each state:
 * user and system µs over all blocks per call. Not a median of blocks: Linux splits a process' CPU
 * into user and system by clock ticks (4 ms), so a block's split is coarse and only the sum over many
 * blocks is fair; the sum also includes the GC, as the counts do.
 */
async function timeBlocks(plan, directory, log) {
  const child = startChild(undefined, [], directory);
  const blocks = Math.max(4, Math.ceil(plan.nativeCalls / plan.calls));
  const cpu = {};
  try {
    await child.ready();
    await warmUp(child, { ...plan, warmup: Math.max(plan.warmup, 3000) }, () => {});
    for (const client of plan.clients) {
      cpu[client] = Object.fromEntries(STATES.map((state) => [state, { user: [], system: [] }]));
      for (let block = 0; block < blocks; block++) {
        for (const state of STATES.map((_, index) => STATES[(index + block) % STATES.length])) {
          await child.ask('enter', state);
          await child.ask('calls', client, plan.settle);
          const [user, system] = (await child.ask('calls', client, plan.calls))
            .split(' ')
            .map(Number);
          cpu[client][state].user.push(user);
          cpu[client][state].system.push(system);
        }
      }
      log(`${client}: timed without valgrind, ${blocks} blocks of ${plan.calls} calls per state`);
    }
    await child.close();
  } finally {
    child.kill();
    await child.exited.catch(() => {});
  }
  for (const client of plan.clients) {
    for (const state of STATES) {
      const { user, system } = cpu[client][state];
      const perCall = (values) => values.reduce((a, b) => a + b, 0) / (values.length * plan.calls);
      cpu[client][state] = { user: perCall(user), system: perCall(system) };
    }
  }
  return cpu;
}

const count = (value) => Math.round(value).toLocaleString('en-US');
const signed = (value) => `${value < 0 ? '−' : '+'}${count(Math.abs(value))}`;
const lowest = (blocks, field) => Math.min(...blocks.map((block) => block[field]));

/** Counts (and times) every client in every state and returns the report; `log` gets progress. */
export async function measureOutboundInstructions(args = [], log = () => {}) {
  const missing = valgrindMissing();
  if (missing) throw new Error(missing);
  const plan = {
    clients: option(args, 'clients', CLIENT_NAMES.join(',')).split(','),
    calls: Number(option(args, 'calls', 300)),
    repetitions: Number(option(args, 'repetitions', 8)),
    warmup: Number(option(args, 'warmup', 5000)),
    settle: Number(option(args, 'settle', 300)),
    nativeCalls: Number(option(args, 'native-calls', 6000)),
    functions: Number(option(args, 'functions', 0)),
  };
  for (const client of plan.clients) {
    if (!CLIENT_NAMES.includes(client))
      throw new Error(`--clients: unknown client "${client}" (${CLIENT_NAMES.join(', ')})`);
  }
  const directory = mkdtempSync(join(tmpdir(), 'outbound-instructions-'));
  const started = Date.now();
  const loadBefore = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  let codeMap;
  try {
    const counted = await countBlocks(plan, directory, log);
    codeMap = counted.codeMap;
    const cpu = await timeBlocks(plan, directory, log);
    const loadAfter = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const lines = [
      `Instructions per outbound call, callgrind, one process (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ` +
        `${((Date.now() - started) / 60_000).toFixed(1)} min, load average ${loadBefore} before, ${loadAfter} after); ` +
        `lowest of ${plan.repetitions} blocks of ${plan.calls} calls per client and state, after ${plan.warmup} calls ` +
        `per client and state and ${plan.settle} after each switch:`,
      '',
      '| client | threads | off | no-op subscribers | recorder on | off again | publishing (no-op − off) | handlers (on − no-op) | added (on − off) | noise (off again − off) | every block, main thread (off / no-op / on / off again) |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ];
    const conversions = [];
    for (const client of plan.clients) {
      const blocks = counted.counts[client];
      for (const field of ['main', 'all']) {
        const of = (state) => lowest(blocks[state], field);
        lines.push(
          `| \`${client}\` | ${field === 'main' ? 'main' : 'all'} | ${STATES.map((state) => count(of(state))).join(' | ')} | ` +
            `${signed(of('subscribed') - of('off'))} | ${signed(of('on') - of('subscribed'))} | ${signed(of('on') - of('off'))} | ` +
            `${signed(of('offAgain') - of('off'))} | ` +
            (field === 'main'
              ? STATES.map((state) =>
                  blocks[state].map((block) => count(block.main)).join(' '),
                ).join(' / ')
              : '') +
            ' |',
        );
      }
      // What an instruction costs in time: the native user CPU of an `off` call over its count (all
      // threads, as the CPU time is). The differences are the main thread's: the recorder runs there,
      // and what the other threads add (the GC's helpers, V8's compiler) varies by tens of thousands
      // of instructions from block to block for `fetch`.
      const all = (state) => lowest(blocks[state], 'all');
      const main = (state) => lowest(blocks[state], 'main');
      const { user, system } = cpu[client].off;
      const nsPerInstruction = (user * 1000) / all('off');
      const us = (instructions) => ((instructions * nsPerInstruction) / 1000).toFixed(2);
      conversions.push(
        `- \`${client}\`: off ${user.toFixed(1)} µs user + ${system.toFixed(1)} µs system per call without valgrind ` +
          `(no-op ${cpu[client].subscribed.user.toFixed(1)} + ${cpu[client].subscribed.system.toFixed(1)}, ` +
          `on ${cpu[client].on.user.toFixed(1)} + ${cpu[client].on.system.toFixed(1)}, ` +
          `off again ${cpu[client].offAgain.user.toFixed(1)} + ${cpu[client].offAgain.system.toFixed(1)}), ` +
          `${count(all('off'))} instructions (all threads): ${nsPerInstruction.toFixed(3)} ns of user CPU per instruction. ` +
          `Main thread: publishing ${us(main('subscribed') - main('off'))} µs, handlers ${us(main('on') - main('subscribed'))} µs, ` +
          `added ${us(main('on') - main('off'))} µs, off again ${us(main('offAgain') - main('off'))} µs per call.`,
      );
    }
    lines.push(
      '',
      'In µs, at the user CPU per instruction of the same process without valgrind, recorder off (differences of the main thread):',
      '',
      ...conversions,
    );
    if (plan.functions > 0) {
      for (const client of plan.clients) {
        const blocks = counted.counts[client];
        const best = (state) => blocks[state].reduce((a, b) => (b.main < a.main ? b : a));
        for (const [from, to, what] of [
          ['off', 'subscribed', 'publishing to no-op subscribers'],
          ['subscribed', 'on', "the recorder's handlers"],
        ]) {
          lines.push(
            '',
            `\`${client}\`, ${what}: the ${plan.functions} functions whose self cost per call differs most, ${from} → ${to} (main thread, lowest blocks):`,
            '',
            `| added | ${from} | ${to} | function |`,
            '| ----: | ---: | ---: | -------- |',
            ...functionDifferences(
              { ...best(from), codeMap },
              { ...best(to), codeMap },
              plan.calls,
              plan.functions,
            ).map(
              (row) =>
                `| ${signed(row.added)} | ${count(row.from)} | ${count(row.to)} | \`${row.name.slice(0, 110)}\` |`,
            ),
          );
        }
      }
    }
    return lines.join('\n');
  } finally {
    if (args.includes('--keep') || process.env.BENCH_OUTBOUND_INSTR_KEEP) {
      log(`callgrind files in ${directory}, V8's code map ${codeMap ?? 'none'}`);
    } else {
      rmSync(directory, { recursive: true, force: true });
      if (codeMap) rmSync(codeMap, { force: true });
    }
  }
}

if (process.argv[2] === '--serve') {
  await serve();
} else if (process.argv[1] === SELF) {
  runCountingScript('bench/outbound-instructions.js', measureOutboundInstructions);
}
