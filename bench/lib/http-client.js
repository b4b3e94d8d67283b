import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

const REQUEST_TIMEOUT_MS = 30_000;

/** One request to 127.0.0.1; resolves with the status, body size and milliseconds to the last byte. */
export function send(agent, port, method, path, headers = {}) {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const outgoing = request(
      { host: '127.0.0.1', port, method, path, agent, headers },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: response.statusCode,
            body,
            milliseconds: performance.now() - startedAt,
          });
        });
        response.on('error', reject);
      },
    );
    outgoing.setTimeout(REQUEST_TIMEOUT_MS, () =>
      outgoing.destroy(new Error(`${method} ${path} timed out`)),
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** Sends every request of the list with `concurrency` keep-alive connections; a bounded loop. */
export async function sendAll(port, requests, concurrency = 16) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const { method, path } = requests[next++];
      await send(agent, port, method, path);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
}

/**
 * Scrapes each target `count` times, taking turns so that drift hits all alike, one request at a time.
 * Returns, per target, the milliseconds to the last byte and the last body.
 */
export async function scrapeInTurns(targets, count) {
  const agents = targets.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  const results = targets.map(() => ({ milliseconds: [], body: undefined }));
  try {
    for (let index = 0; index < count; index++) {
      for (const [position, { port, path }] of targets.entries()) {
        const answer = await send(agents[position], port, 'GET', path);
        if (answer.status !== 200) throw new Error(`GET ${path} answered ${answer.status}`);
        results[position].milliseconds.push(answer.milliseconds);
        results[position].body = answer.body;
      }
    }
  } finally {
    for (const agent of agents) agent.destroy();
  }
  return results;
}

/** Samples in an exposition: every line that is neither blank nor a comment, and matches `include`. */
export function seriesCount(body, include = () => true) {
  let count = 0;
  for (const line of body.toString('utf8').split('\n')) {
    if (line !== '' && !line.startsWith('#') && include(line)) count++;
  }
  return count;
}
