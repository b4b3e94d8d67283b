import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startChild } from './support/child-process.js';
import { buildForNode, type NodeBuild } from './support/node-build.js';

const RECORDERS_IN_TURN = 'test/fixtures/processes/recorders-in-turn.ts';

/**
 * In a process of its own, because the hazard needs Node's bundled undici not yet loaded, which a
 * Jest worker that ran an earlier suite cannot promise, and the garbage collector run on demand.
 */
describe('outbound channels shared with their publishers', () => {
  let build: NodeBuild | undefined;

  beforeAll(async () => {
    build = await buildForNode([RECORDERS_IN_TURN], { typeCheck: false });
  }, 120_000);

  afterAll(async () => {
    await build?.remove();
  });

  it('counts fetch calls after an earlier recorder stopped and its channels were collected', async () => {
    if (!build) throw new Error('the build did not finish');
    const child = await startChild('recorders in turn', process.execPath, [
      '--expose-gc',
      build.entry(RECORDERS_IN_TURN),
    ]);
    const [line] = await child.waitForLine(/^\{.*\}$/m);
    expect((await child.exited).code).toBe(0);
    const result = JSON.parse(line) as {
      undiciLoadedAtStart: boolean;
      calls: { method: string; value: number }[];
    };
    expect(result.undiciLoadedAtStart).toBe(false);
    expect(result.calls.sort((a, b) => a.method.localeCompare(b.method))).toEqual([
      { method: 'GET', value: 1 },
      { method: 'POST', value: 1 },
    ]);
  });
});
