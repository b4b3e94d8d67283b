// The feature costs (`--only=features`): exemplars, outbound metrics and request-derived labels, each
// against the same app without it, in its own interleaved rounds (run.js's measureThroughput).
import { FEATURE_PAIRS, SETUP_LABELS } from '../setups.js';
import { REQUEST_MIX, TENANT_MIX, UPSTREAM_MIX } from './load.js';
import { median } from './stats.js';
import { startUpstream } from './upstream.js';

const MIXES = { default: REQUEST_MIX, upstream: UPSTREAM_MIX, tenant: TENANT_MIX };

/** Measures every pair of FEATURE_PAIRS with `measureThroughput(pair, mix, epochs)`. */
export async function measureFeatures(measureThroughput, epochs) {
  const upstream = await startUpstream();
  // Server processes are forked with this environment, so they find the upstream through it.
  process.env.BENCH_UPSTREAM_PORT = String(upstream.address().port);
  try {
    const results = [];
    for (const { name, pair, mix } of FEATURE_PAIRS) {
      const { rounds } = await measureThroughput(pair, MIXES[mix], epochs);
      const [baseline, measured] = pair;
      const ratios = rounds.map((round) => round[measured].ratio);
      const cpuRatios = rounds.map((round) => round[measured].cpuRatio);
      const added = rounds.map(
        (round) => round[measured].cpuPerRequest - round[baseline].cpuPerRequest,
      );
      results.push({
        name,
        baseline,
        measured,
        rounds: rounds.length,
        ratio: median(ratios),
        ratioMin: Math.min(...ratios),
        ratioMax: Math.max(...ratios),
        cpuRatio: median(cpuRatios),
        cpuRatioMin: Math.min(...cpuRatios),
        cpuRatioMax: Math.max(...cpuRatios),
        baselineCpu: median(rounds.map((round) => round[baseline].cpuPerRequest)),
        measuredCpu: median(rounds.map((round) => round[measured].cpuPerRequest)),
        addedCpu: median(added),
        addedMin: Math.min(...added),
        addedMax: Math.max(...added),
      });
    }
    return results;
  } finally {
    delete process.env.BENCH_UPSTREAM_PORT;
    upstream.closeAllConnections();
    upstream.close();
  }
}

const f = (value, digits = 1) => value.toFixed(digits);

/** The table of the features phase. Ratios are measured / baseline (throughput) and baseline / measured (CPU per request). */
export function featuresReport(results) {
  const lines = [
    '### Costs of exemplars, outbound metrics and request labels',
    '',
    '| cost | baseline → measured | rounds | throughput ratio (min–max) | CPU ratio (min–max) | CPU µs/req baseline → measured | added CPU µs/req, median (min–max) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of results) {
    lines.push(
      `| ${row.name} | \`${row.baseline}\` → \`${row.measured}\` | ${row.rounds} | ` +
        `${f(row.ratio, 3)} (${f(row.ratioMin, 2)}–${f(row.ratioMax, 2)}) | ` +
        `${f(row.cpuRatio, 3)} (${f(row.cpuRatioMin, 2)}–${f(row.cpuRatioMax, 2)}) | ` +
        `${f(row.baselineCpu)} → ${f(row.measuredCpu)} | ` +
        `${f(row.addedCpu, 2)} (${f(row.addedMin, 1)}–${f(row.addedMax, 1)}) |`,
    );
  }
  lines.push(
    '',
    'Outbound: every request of its mix makes exactly one outbound call, so the added CPU µs per request is the CPU per outbound call.',
    `Setups: ${results.map((row) => `\`${row.measured}\`: ${SETUP_LABELS[row.measured]}`).join('; ')}.`,
  );
  return lines.join('\n');
}
