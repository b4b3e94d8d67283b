// The paired comparison: a platform's bare app, a second bare app and MetricsModule's app share one
// server process and take turns under the same load. Two processes of the same app differ by several
// per cent (code placement, start order), which hides a 1 µs difference; apps in one process do not.
// The GraphQL app's three share another process, driven with the GraphQL mix, in the same rounds.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { CONNECTIONS, GRAPHQL_MIX, REQUEST_MIX } from './load.js';
import { processCpuMicroseconds } from './proc-cpu.js';
import { median, rotated } from './stats.js';
import { PAIRED_SETUPS, PLATFORMS, SETUP_LABELS } from '../setups.js';

const SERVER_SCRIPT = fileURLToPath(new URL('../paired-server.js', import.meta.url));

/** What each group of PAIRED_SETUPS is called, what drives it and what one request of it is. */
const GROUPS = {
  express: { name: PLATFORMS.express.name, mix: REQUEST_MIX, unit: 'req' },
  fastify: { name: PLATFORMS.fastify.name, mix: REQUEST_MIX, unit: 'req' },
  graphql: { name: 'GraphQL (Apollo on Express, POST /graphql)', mix: GRAPHQL_MIX, unit: 'op' },
};

async function startHost(setups) {
  const child = fork(SERVER_SCRIPT, setups, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`paired server exited with code ${code}`)));
  });
  return { child, ports: ready.ports };
}

/**
 * CPU µs the host spent per request while `setup` alone was under load for `seconds`. On a machine
 * busy enough, an app can answer nothing in a short run (its figure would be NaN or Infinity and spoil
 * the medians): such a run is made again, twice at most.
 */
async function cpuPerRequest(host, setup, seconds) {
  for (let attempt = 1; ; attempt++) {
    const before = processCpuMicroseconds(host.child.pid);
    const result = await autocannon({
      url: `http://127.0.0.1:${host.ports[setup]}`,
      connections: CONNECTIONS,
      duration: seconds,
      requests: host.mix,
    });
    if (result.errors > 0 || result.non2xx > 0) {
      throw new Error(`${setup}: ${result.errors} connection errors, ${result.non2xx} non-2xx`);
    }
    const answered = result.requests.total;
    if (answered > 0) return (processCpuMicroseconds(host.child.pid) - before) / answered;
    if (attempt === 3)
      throw new Error(`${setup}: no request answered in three runs of ${seconds} s`);
  }
}

/**
 * Every group (a key of PAIRED_SETUPS) in a host process of its own, all started first. Every round
 * runs each app of each group once, in an order rotated from round to round, after a short unmeasured
 * burst; the groups take turns within the round, so their figures come from the same minutes.
 */
export async function measurePaired({ rounds, seconds, log, groups = Object.keys(PAIRED_SETUPS) }) {
  const hosts = {};
  try {
    for (const group of groups) {
      log(`paired: ${GROUPS[group].name}, ${rounds} rounds`);
      hosts[group] = { ...(await startHost(PAIRED_SETUPS[group])), mix: GROUPS[group].mix };
      for (const setup of PAIRED_SETUPS[group]) await cpuPerRequest(hosts[group], setup, 2);
    }
    const cpu = Object.fromEntries(
      groups.map((group) => [
        group,
        Object.fromEntries(PAIRED_SETUPS[group].map((setup) => [setup, []])),
      ]),
    );
    for (let round = 0; round < rounds; round++) {
      for (const group of groups) {
        const setups = PAIRED_SETUPS[group];
        for (const setup of rotated(setups, round)) {
          await cpuPerRequest(hosts[group], setup, 0.5);
          cpu[group][setup].push(await cpuPerRequest(hosts[group], setup, seconds));
        }
      }
      log(`paired: round ${round + 1}/${rounds}`);
    }
    return cpu;
  } finally {
    for (const host of Object.values(hosts)) host.child.send({ type: 'stop' });
  }
}

const fixed = (value, digits = 1) => value.toFixed(digits);
const signed = (value) => `${value < 0 ? '−' : '+'}${fixed(Math.abs(value))}`;

/** Each app's figures against the group's bare app, round by round and as medians. */
function summarize(group, cpu) {
  const [bare] = PAIRED_SETUPS[group];
  return Object.fromEntries(
    PAIRED_SETUPS[group].map((setup) => {
      const over = cpu[setup].map((value, round) => value - cpu[bare][round]);
      const ratio = cpu[setup].map((value, round) => cpu[bare][round] / value);
      return [
        setup,
        { cpu: median(cpu[setup]), over: median(over), ratio: median(ratio), ratios: ratio },
      ];
    }),
  );
}

/**
 * The markdown section of the paired comparison: the two CPU targets per HTTP platform and, when the
 * GraphQL app ran with Express, whether its relative overhead (1 − CPU ratio) is within the HTTP one.
 */
export function pairedReport(results) {
  const lines = ['### Paired: the apps in one server process', ''];
  const targets = [];
  const summaries = {};
  for (const [group, cpu] of Object.entries(results)) {
    const { name, unit } = GROUPS[group];
    const summary = (summaries[group] = summarize(group, cpu));
    lines.push(
      `#### ${name}`,
      '',
      `| app | server CPU µs/${unit} (median) | over bare (median of rounds) | CPU ratio (median) | per round |`,
      '| --- | --- | --- | --- | --- |',
    );
    for (const setup of PAIRED_SETUPS[group]) {
      const { cpu: value, over, ratio } = summary[setup];
      lines.push(
        `| ${SETUP_LABELS[setup]} | ${fixed(value)} | ${signed(over)} | ${fixed(ratio, 3)} | ${cpu[setup].map((perRound) => fixed(perRound)).join(' ')} |`,
      );
    }
    lines.push('');
    if (group in PLATFORMS) {
      const { over, ratio } = summary[PLATFORMS[group].ours];
      targets.push(
        `- ${over <= 5 ? 'met' : '**not met**'}: ${name}, paired: at most 5 µs of server CPU per request over bare (${signed(over)} µs)`,
        `- ${ratio >= 0.97 ? 'met' : '**not met**'}: ${name}, paired: CPU ratio ≥ 0.97 (median ${fixed(ratio, 3)})`,
      );
    }
  }
  if (summaries.graphql && summaries.express) targets.push(graphqlTarget(summaries));
  lines.push(
    'The second bare app shows how far two identical apps in the process drift apart. Process-wide costs (prom-client default collectors, the response-finish channel, which every server in the process publishes to) fall on every app in the process alike, so they are left out here and priced by the separate-process tables.',
    '',
    ...targets,
  );
  return lines.join('\n');
}

const percent = (value) => `${fixed(100 * value)} %`;

/**
 * GraphQL's relative overhead against the HTTP one on the same platform (Express), from the same
 * rounds. A difference smaller than either second bare app's distance from its bare app is not
 * resolved, and the line says so.
 */
function graphqlTarget({ graphql, express }) {
  const [graphqlBare, graphqlTwin, graphqlOurs] = PAIRED_SETUPS.graphql;
  const [, httpTwin, httpOurs] = PAIRED_SETUPS.express;
  const graphqlOverhead = 1 - graphql[graphqlOurs].ratio;
  const httpOverhead = 1 - express[httpOurs].ratio;
  const drift = Math.max(
    Math.abs(1 - graphql[graphqlTwin].ratio),
    Math.abs(1 - express[httpTwin].ratio),
  );
  const rounds = graphql[graphqlOurs].ratios.length;
  const within = graphql[graphqlOurs].ratios.filter(
    (ratio, round) => ratio >= express[httpOurs].ratios[round],
  ).length;
  const resolved =
    Math.abs(graphqlOverhead - httpOverhead) > drift
      ? ''
      : `; the difference is within the second bare apps' drift (up to ${percent(drift)}), so not resolved`;
  return (
    `- ${graphqlOverhead <= httpOverhead ? 'met' : '**not met**'}: GraphQL, paired: relative CPU overhead within the HTTP one on Express in the same rounds ` +
    `(GraphQL ${percent(graphqlOverhead)}, ${signed(graphql[graphqlOurs].over)} µs over a ${fixed(graphql[graphqlBare].cpu)} µs operation; ` +
    `HTTP ${percent(httpOverhead)}, ${signed(express[httpOurs].over)} µs; GraphQL's ratio at least HTTP's in ${within} of ${rounds} rounds${resolved})`
  );
}
