// One benchmark server: `node bench/server.js <setup> [--many-routes]`, started by run.js with an IPC
// channel. It reports its port when listening and answers measurement requests over IPC, so no route
// is added to the app it serves.
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { startApp } from './app.js';

const [setup, ...flags] = process.argv.slice(2);
const { app, port, metricsService } = await startApp(setup, {
  manyRoutes: flags.includes('--many-routes'),
});

/** prom-client's own rendering of the module's registry over HTTP, the baseline for /metrics. */
let baselinePort;
if (metricsService) {
  const baseline = createServer((request, response) => {
    metricsService.registry.metrics().then((text) => {
      response.setHeader('Content-Type', metricsService.registry.contentType);
      response.end(text);
    });
  });
  await new Promise((resolve) => baseline.listen(0, '127.0.0.1', resolve));
  baselinePort = baseline.address().port;
  app.getHttpServer().on('close', () => baseline.close());
}

const handlers = {
  memory() {
    if (global.gc) global.gc();
    const { rss, heapUsed } = process.memoryUsage();
    return { rss, heapUsed, maxRss: process.resourceUsage().maxRSS * 1024 };
  },
  /** Times what /metrics renders against prom-client's registry.metrics(), interleaved, in-process. */
  async render({ iterations }) {
    if (!metricsService) throw new Error(`setup "${setup}" has no MetricsService`);
    const exposition = [];
    const promClient = [];
    for (let index = 0; index < iterations; index++) {
      let startedAt = performance.now();
      await metricsService.exposition();
      exposition.push(performance.now() - startedAt);
      startedAt = performance.now();
      await metricsService.registry.metrics();
      promClient.push(performance.now() - startedAt);
    }
    return { exposition, promClient };
  },
  async stop() {
    await app.close();
    setImmediate(() => process.exit(0));
    return {};
  },
};

process.on('message', async ({ id, type, ...args }) => {
  try {
    process.send({ id, result: await handlers[type](args) });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready', port, baselinePort });
