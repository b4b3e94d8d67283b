// The paired comparison: a platform's bare app, a second bare app and MetricsModule's app share one
// server process and take turns under the same load. Two processes of the same app differ by several
// per cent (code placement, start order), which hides a 1 µs difference; apps in one process do not.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { CONNECTIONS, REQUEST_MIX } from './load.js';
import { processCpuMicroseconds } from './proc-cpu.js';
import { median } from './stats.js';
import { PAIRED_SETUPS, PLATFORMS, SETUP_LABELS } from '../setups.js';

const SERVER_SCRIPT = fileURLToPath(new URL('../paired-server.js', import.meta.url));

async function startHost(setups) {
  const child = fork(SERVER_SCRIPT, setups, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`paired server exited with code ${code}`)));
  });
  return { child, ports: ready.ports };
}

/** CPU µs the host spent per request while `setup` alone was under load for `seconds`. */
async function cpuPerRequest(host, setup, seconds) {
  const before = processCpuMicroseconds(host.child.pid);
  const result = await autocannon({
    url: `http://127.0.0.1:${host.ports[setup]}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: REQUEST_MIX,
  });
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(`${setup}: ${result.errors} connection errors, ${result.non2xx} non-2xx`);
  }
  return (processCpuMicroseconds(host.child.pid) - before) / result.requests.total;
}

/** Per platform: every round runs each app once, in rotated order, after a short unmeasured burst. */
export async function measurePaired({ rounds, seconds, log }) {
  const results = {};
  for (const [platform, setups] of Object.entries(PAIRED_SETUPS)) {
    log(`paired: ${PLATFORMS[platform].name}, ${rounds} rounds`);
    const host = await startHost(setups);
    try {
      for (const setup of setups) await cpuPerRequest(host, setup, 2);
      const cpu = Object.fromEntries(setups.map((setup) => [setup, []]));
      for (let round = 0; round < rounds; round++) {
        const shift = round % setups.length;
        for (const setup of [...setups.slice(shift), ...setups.slice(0, shift)]) {
          await cpuPerRequest(host, setup, 0.5);
          cpu[setup].push(await cpuPerRequest(host, setup, seconds));
        }
      }
      results[platform] = cpu;
    } finally {
      host.child.send({ type: 'stop' });
    }
  }
  return results;
}

const fixed = (value, digits = 1) => value.toFixed(digits);
const signed = (value) => `${value < 0 ? '−' : '+'}${fixed(Math.abs(value))}`;

/** The markdown section of the paired comparison, with the two CPU targets per platform. */
export function pairedReport(results) {
  const lines = ['### Paired: the apps in one server process', ''];
  const targets = [];
  for (const [platform, cpu] of Object.entries(results)) {
    const [bare, ...others] = PAIRED_SETUPS[platform];
    lines.push(
      `#### ${PLATFORMS[platform].name}`,
      '',
      '| app | server CPU µs/req (median) | over bare (median of rounds) | CPU ratio (median) | per round |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const setup of [bare, ...others]) {
      const over = cpu[setup].map((value, round) => value - cpu[bare][round]);
      const ratio = cpu[setup].map((value, round) => cpu[bare][round] / value);
      lines.push(
        `| ${SETUP_LABELS[setup]} | ${fixed(median(cpu[setup]))} | ${signed(median(over))} | ${fixed(median(ratio), 3)} | ${cpu[setup].map((value) => fixed(value)).join(' ')} |`,
      );
      if (setup === PLATFORMS[platform].ours) {
        const name = PLATFORMS[platform].name;
        targets.push(
          `- ${median(over) <= 5 ? 'met' : '**not met**'}: ${name}, paired: at most 5 µs of server CPU per request over bare (${signed(median(over))} µs)`,
          `- ${median(ratio) >= 0.97 ? 'met' : '**not met**'}: ${name}, paired: CPU ratio ≥ 0.97 (median ${fixed(median(ratio), 3)})`,
        );
      }
    }
    lines.push('');
  }
  lines.push(
    'The second bare app shows how far two identical apps in the process drift apart. Process-wide costs (prom-client default collectors, the response-finish channel, which every server in the process publishes to) fall on every app in the process alike, so they are left out here and priced by the separate-process tables.',
    '',
    ...targets,
  );
  return lines.join('\n');
}
