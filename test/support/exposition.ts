/**
 * Reads a Prometheus text exposition into samples, so tests can assert exact values of exact series.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** The OpenMetrics exemplar after `#`, when the line has one. */
  exemplar?: Exemplar;
}

export interface Exemplar {
  labels: Record<string, string>;
  value: number;
  /** Seconds since the epoch. */
  timestamp?: number;
}

/** A label set in braces; quoted values may hold `}`. */
const LABELS = '\\{((?:[^"}]|"(?:[^"\\\\]|\\\\.)*")*)\\}';
const SAMPLE_LINE = new RegExp(
  `^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:${LABELS})?\\s+(\\S+)(?:\\s+(?!#)\\S+)?` +
    `(?:\\s+#\\s+${LABELS}\\s+(\\S+)(?:\\s+(\\S+))?)?$`,
);
const LABEL_PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`Unparseable exposition line: ${line}`);
    const sample: Sample = {
      name: match[1],
      labels: parseLabels(match[2]),
      value: Number(match[3]),
    };
    if (match[4] !== undefined) {
      sample.exemplar = {
        labels: parseLabels(match[4]),
        value: Number(match[5]),
        ...(match[6] === undefined ? {} : { timestamp: Number(match[6]) }),
      };
    }
    samples.push(sample);
  }
  return samples;
}

function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of (text ?? '').matchAll(LABEL_PAIR)) {
    labels[pair[1]] = pair[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
  }
  return labels;
}

/** The samples of one metric whose labels include all of `labels`. */
export function samplesOf(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): Sample[] {
  return parseExposition(text).filter(
    (sample) =>
      sample.name === name &&
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}

/** The value of the one series that matches, or undefined when none does; throws when several do. */
export function valueOf(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const matches = samplesOf(text, name, labels);
  if (matches.length > 1) {
    throw new Error(`${matches.length} series of ${name} match ${JSON.stringify(labels)}`);
  }
  return matches[0]?.value;
}

/** Sum over every series that matches. */
export function sumOf(text: string, name: string, labels: Record<string, string> = {}): number {
  return samplesOf(text, name, labels).reduce((total, sample) => total + sample.value, 0);
}

/** Every distinct value one label takes in a metric. */
export function labelValues(text: string, name: string, label: string): string[] {
  return [...new Set(samplesOf(text, name).map((sample) => sample.labels[label]))].sort();
}

export interface FamilyMetadata {
  type: string;
  help: string;
}

/** HELP and TYPE of every metric family, keyed by the family name as the exposition writes it. */
export function familiesOf(text: string): Map<string, FamilyMetadata> {
  const families = new Map<string, FamilyMetadata>();
  for (const line of text.split('\n')) {
    const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (!match) continue;
    const family = families.get(match[2]) ?? { type: '', help: '' };
    if (match[1] === 'HELP') family.help = match[3];
    else family.type = match[3];
    families.set(match[2], family);
  }
  return families;
}

/** `name{a="1",b="2"}` with labels sorted: one key per series, whatever order the exposition used. */
export function seriesKey(sample: Pick<Sample, 'name' | 'labels'>): string {
  const labels = Object.entries(sample.labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return `${sample.name}{${labels.join(',')}}`;
}
