/**
 * Raw HTTP requests for e2e suites that need what fetch and supertest smooth over: any method or
 * header value, a body left compressed, a connection of its own.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface PlainResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body decoded as UTF-8. */
  body: string;
  /** The body as it came over the wire, e.g. still gzipped. */
  rawBody: Buffer;
}

export interface FreshRequestOptions {
  /** @default 'GET' */
  method?: string;
  headers?: Record<string, string>;
  /** @default 10000 */
  timeoutMs?: number;
}

/**
 * One request on a fresh connection (no keep-alive agent), so successive requests to a cluster's
 * shared port are spread over its workers as separate clients' would be. Sends any method and
 * header values, however odd, and decodes nothing.
 *
 * @example
 * const gzipped = await requestFresh(url, { headers: { 'accept-encoding': 'gzip' } });
 * gunzipSync(gzipped.rawBody);
 * @throws Error when the connection fails or no answer comes within `timeoutMs`.
 */
export function requestFresh(
  url: string,
  options: FreshRequestOptions = {},
): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    const { method = 'GET', headers = {}, timeoutMs = 10_000 } = options;
    const req = httpRequest(
      url,
      { method, agent: false, headers, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const rawBody = Buffer.concat(chunks);
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: rawBody.toString('utf8'),
            rawBody,
          });
        });
        response.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
