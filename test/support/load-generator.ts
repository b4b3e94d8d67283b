/**
 * Drives an app with a mixed load over a fixed number of concurrent keep-alive connections while
 * scraping its /metrics on a fixed interval, and counts exactly what the server must have seen.
 */
import { Agent, request, type IncomingMessage } from 'node:http';

export interface LoadPlan {
  baseUrl: string;
  /** Requests to send, scrapes not included. */
  requests: number;
  connections: number;
  /** Distinct paths that match no route, cycled through. */
  distinctUnmatchedPaths: number;
  /** Distinct values the tenant route puts into a label, cycled through. */
  distinctTenants: number;
  scrapeIntervalMs: number;
}

export interface LoadResult {
  /** Requests the server received and answered or saw abandoned: what http_requests_total must sum to. */
  completed: number;
  /** Requests abandoned by the client after the response had started. */
  aborted: number;
  /** Requests the client could not complete (connection errors); the server may not have seen them. */
  failed: number;
  tenantRequests: number;
  scrapes: number;
  failedScrapes: number;
  byStatus: Record<string, number>;
}

type Outcome = { status: number } | { aborted: true };

/** The request the load sends as its n-th, so that every run sends the same mix. */
function requestFor(
  n: number,
  plan: LoadPlan,
): { method: string; path: string; body?: string; abort?: boolean } {
  switch (n % 10) {
    case 0:
    case 1:
    case 2:
      return { method: 'GET', path: `/items/${n}` };
    case 3:
      return { method: 'POST', path: '/items', body: JSON.stringify({ name: `item ${n}`, n }) };
    case 4:
    case 5:
      return {
        method: 'GET',
        path: `/nowhere/${Math.floor(n / 10) % plan.distinctUnmatchedPaths}/x`,
      };
    case 6:
      return { method: 'GET', path: `/tenants/${Math.floor(n / 10) % plan.distinctTenants}/cache` };
    case 7:
      return { method: 'GET', path: `/stream/${n}`, abort: true };
    case 8:
      return { method: 'GET', path: `/items/${n}?q=${'x'.repeat(200)}&page=${n}` };
    default:
      // A method the route does not take: unmatched, on a path that never varies.
      return { method: 'DELETE', path: '/items/1' };
  }
}

function send(
  agent: Agent,
  baseUrl: string,
  spec: ReturnType<typeof requestFor>,
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (spec.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(spec.body));
    }
    const req = request(`${baseUrl}${spec.path}`, { method: spec.method, agent, headers });
    req.on('response', (response: IncomingMessage) => {
      if (spec.abort) {
        // Abandon the response once it has started: the server has the request and must count it once.
        response.once('data', () => {
          req.destroy();
          resolve({ aborted: true });
        });
        return;
      }
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
      response.on('error', reject);
    });
    req.on('error', (error) => (spec.abort ? undefined : reject(error)));
    req.end(spec.body);
  });
}

export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: plan.connections });
  const scrapeAgent = new Agent({ keepAlive: true, maxSockets: 4 });
  const result: LoadResult = {
    completed: 0,
    aborted: 0,
    failed: 0,
    tenantRequests: 0,
    scrapes: 0,
    failedScrapes: 0,
    byStatus: {},
  };
  let next = 0;
  let running = true;

  const scraper = (async () => {
    const inFlight = new Set<Promise<void>>();
    while (running) {
      const scrape = send(scrapeAgent, plan.baseUrl, { method: 'GET', path: '/metrics' }).then(
        (outcome) => {
          if ('status' in outcome && outcome.status === 200) result.scrapes++;
          else result.failedScrapes++;
        },
        () => {
          result.failedScrapes++;
        },
      );
      const tracked = scrape.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      await new Promise((resolve) => setTimeout(resolve, plan.scrapeIntervalMs));
    }
    await Promise.all(inFlight);
  })();

  const connection = async () => {
    while (next < plan.requests) {
      const spec = requestFor(next++, plan);
      try {
        const outcome = await send(agent, plan.baseUrl, spec);
        result.completed++;
        if (spec.path.startsWith('/tenants/')) result.tenantRequests++;
        const status = 'aborted' in outcome ? 'aborted' : String(outcome.status);
        if ('aborted' in outcome) result.aborted++;
        result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
      } catch {
        result.failed++;
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: plan.connections }, connection));
  } finally {
    running = false;
    await scraper;
    agent.destroy();
    scrapeAgent.destroy();
  }
  return result;
}
