import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createServer, type Socket } from 'node:net';
import request from 'supertest';
import { createFixture } from './fixtures/fixture-app.js';
import { PLATFORMS } from './support/platforms.js';
import { startChild, waitUntilServing, type ChildProcessHandle } from './support/child-process.js';
import { valueOf } from './support/exposition.js';
import { closeServer, freePort, listenOnLoopback } from './support/loopback.js';
import { buildForNode, type NodeBuild } from './support/node-build.js';
import { FAST_POLL, pollUntil } from './support/poll.js';
import { describeWithBinary } from './support/promtool.js';

const BATCH_JOB = 'test/fixtures/processes/batch-job.ts';

describeWithBinary(
  'prometheus-pushgateway',
  'apt-get install prometheus-pushgateway',
  'pushing to a real Pushgateway',
  (pushgatewayBinary) => {
    let build: NodeBuild | undefined;
    let pushgateway: ChildProcessHandle | undefined;
    let pushgatewayUrl = '';

    beforeAll(async () => {
      const port = await freePort();
      pushgatewayUrl = `http://127.0.0.1:${port}`;
      const gateway = await startChild('Pushgateway', pushgatewayBinary, [
        `--web.listen-address=127.0.0.1:${port}`,
        '--persistence.file=',
      ]);
      pushgateway = gateway;
      [build] = await Promise.all([
        buildForNode([BATCH_JOB]),
        waitUntilServing(gateway, `${pushgatewayUrl}/-/ready`, FAST_POLL),
      ]);
    }, 60_000);

    afterAll(async () => {
      await pushgateway?.stop();
      await build?.remove();
    });

    const gatewayMetrics = async () =>
      (await request(pushgatewayUrl).get('/metrics').expect(200)).text;

    function runBatchJob(env: Record<string, string>): Promise<ChildProcessHandle> {
      if (!build) throw new Error('the build did not finish');
      return startChild('batch job', process.execPath, [build.entry(BATCH_JOB)], { env });
    }

    it('leaves the counts of a standalone batch job behind under its job and grouping labels', async () => {
      const job = await runBatchJob({ PUSHGATEWAY_URL: pushgatewayUrl });
      const { code } = await job.exited;
      expect(job.output()).toContain('imported 4 rows');
      expect(code).toBe(0);

      const text = await gatewayMetrics();
      const group = { job: 'nightly-import', shard: '3' };
      const db = (status: string) =>
        valueOf(text, 'database_operations_total', {
          ...group,
          operation: 'insert',
          table: 'rows',
          status,
        });
      expect(db('success')).toBe(4);
      expect(db('error')).toBe(1);
      const task = (status: string) =>
        valueOf(text, 'background_tasks_total', { ...group, task_type: 'nightly_import', status });
      expect(task('started')).toBe(1);
      expect(task('succeeded')).toBe(1);
      expect(valueOf(text, 'push_failure_time_seconds', group)).toBe(0);
    });

    it.each(PLATFORMS)('pushes on the interval while an app on %s runs', async (platform) => {
      const jobName = `interval-spec-${platform}`;
      const fixture = await createFixture({
        platform,
        metrics: { pushgateway: { url: pushgatewayUrl, jobName, intervalMs: 50 } },
      });
      try {
        await request(fixture.app.getHttpServer()).get('/things/1').expect(200);
        await request(fixture.app.getHttpServer()).get('/things/2').expect(200);
        const requests = await pollUntil(
          'an interval push',
          async () => {
            const value = valueOf(await gatewayMetrics(), 'http_requests_total', {
              job: jobName,
              endpoint: '/things/:id',
            });
            return value === 2 ? value : undefined;
          },
          FAST_POLL,
        );
        expect(requests).toBe(2);
      } finally {
        await fixture.close();
      }
    });

    it('logs a failed push and still exits normally when the Pushgateway is down', async () => {
      const job = await runBatchJob({ PUSHGATEWAY_URL: `http://127.0.0.1:${await freePort()}` });
      const { code } = await job.exited;
      expect(code).toBe(0);
      expect(job.output()).toContain('imported 4 rows');
      expect(job.output()).toMatch(
        /Push to the Pushgateway at http:\/\/127\.0\.0\.1:\d+ failed \(.*ECONNREFUSED/,
      );
    });

    it('gives up on a Pushgateway that never answers after the push timeout, and exits normally', async () => {
      const sockets = new Set<Socket>();
      const silent = createServer((socket) => sockets.add(socket));
      const port = await listenOnLoopback(silent);
      try {
        const job = await runBatchJob({
          PUSHGATEWAY_URL: `http://127.0.0.1:${port}`,
          PUSH_TIMEOUT_MS: '300',
        });
        const { code } = await job.exited;
        expect(code).toBe(0);
        expect(job.output()).toContain('no answer within 300 ms');
      } finally {
        for (const socket of sockets) socket.destroy();
        await closeServer(silent);
      }
    });
  },
);
