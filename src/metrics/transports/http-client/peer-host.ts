/**
 * The `host` label of an outbound call: the peer's host name and port, lower-cased, with the port
 * always written out (`api.example.com:443`), so a peer has one label value however the caller spelled
 * its URL. Paths and queries never reach it.
 */
export function peerHost(hostname: string, port: number | string | undefined): string {
  let name = hostname.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  // A bare IPv6 address is bracketed, as in a URL, so the port stays readable.
  if (name.includes(':') && !name.startsWith('[')) name = `[${name}]`;
  return port === undefined || port === '' ? name : `${name}:${port}`;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

/** Parsing an origin costs about a microsecond; an app calls few distinct origins, so they are kept. */
const hostsByOrigin = new Map<string, string | undefined>();
const MAX_CACHED_ORIGINS = 1000;

/** The `host` label of an undici request, whose `origin` is `protocol://host[:port]`. */
export function undiciPeerHost(origin: unknown): string | undefined {
  if (origin instanceof URL) return urlPeerHost(origin);
  if (typeof origin !== 'string') return undefined;
  if (hostsByOrigin.has(origin)) return hostsByOrigin.get(origin);
  let host: string | undefined;
  try {
    host = urlPeerHost(new URL(origin));
  } catch {
    host = undefined;
  }
  if (hostsByOrigin.size < MAX_CACHED_ORIGINS) hostsByOrigin.set(origin, host);
  return host;
}

function urlPeerHost(url: URL): string {
  return peerHost(url.hostname, url.port || DEFAULT_PORTS[url.protocol]);
}

/** What `node:http`'s ClientRequest exposes of its peer. */
export interface ClientRequestPeer {
  host?: unknown;
  protocol?: unknown;
  getHeader?(name: string): unknown;
  socket?: { remotePort?: unknown } | null;
  agent?: { defaultPort?: unknown } | false | null;
}

/**
 * The `host` label of a `node:http(s)` request. The request keeps its host name but not its port; Node
 * writes the port into the Host header it generates, unless the caller set a Host header of its own,
 * so the port comes from that header when it names the same host, else from the connected socket or
 * the connection error, else from the protocol's default.
 */
export function clientRequestPeerHost(
  request: ClientRequestPeer,
  error?: unknown,
): string | undefined {
  if (typeof request.host !== 'string' || request.host === '') return undefined;
  const hostname = request.host;
  const header = typeof request.getHeader === 'function' ? request.getHeader('host') : undefined;
  if (typeof header === 'string') {
    const named = hostHeader(header);
    if (named && (named.name === hostname || named.lowerName === hostname.toLowerCase())) {
      return named.host ?? withDefaultPort(named, defaultPort(request));
    }
  }
  const remotePort = request.socket?.remotePort;
  if (typeof remotePort === 'number') return peerHost(hostname, remotePort);
  const errorPort = (error as { port?: unknown } | undefined)?.port;
  if (typeof errorPort === 'number') return peerHost(hostname, errorPort);
  return peerHost(hostname, defaultPort(request));
}

/** A Host header read once: the host it names, and its label when the header carries a port. */
interface HostHeader {
  readonly name: string;
  readonly lowerName: string;
  readonly host: string | undefined;
  /**
   * The labels of a header without a port, by the default port of the request's agent or protocol:
   * Node writes no port for a call to its protocol's default, so without them every such call (most
   * `https` calls) would build its label string again.
   */
  readonly withDefaultPort: Map<number | undefined, string>;
}

/**
 * Node writes the same Host header for every call to a peer, and reading one costs two regular
 * expressions and a few strings; an app calls few distinct peers, so they are kept. The label string
 * is then the same object call after call, which also spares the label cap and the series lookup
 * hashing a new string.
 */
const hostHeaders = new Map<string, HostHeader | null>();
const MAX_CACHED_HOST_HEADERS = 1000;

/**
 * The header read last. Node builds the Host header string anew for every request, so a map lookup
 * hashes it every call; comparing it with the last one's characters costs less, and calls to one
 * peer often come in a row.
 */
let lastHeader: { readonly header: string; readonly named: HostHeader | null } | undefined;

function hostHeader(header: string): HostHeader | null {
  if (lastHeader !== undefined && lastHeader.header === header) return lastHeader.named;
  const named = readHostHeader(header);
  lastHeader = { header, named };
  return named;
}

function readHostHeader(header: string): HostHeader | null {
  let named = hostHeaders.get(header);
  if (named !== undefined) return named;
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(header);
  if (match) {
    const name = match[1].replace(/^\[(.*)\]$/, '$1');
    const port = match[2];
    named = {
      name,
      lowerName: name.toLowerCase(),
      host: port === undefined ? undefined : peerHost(name, port),
      withDefaultPort: new Map(),
    };
  } else {
    named = null;
  }
  if (hostHeaders.size < MAX_CACHED_HOST_HEADERS) hostHeaders.set(header, named);
  return named;
}

/**
 * The label of a request whose Host header names its host without a port. The header's name stands
 * for the request's host (it matched it), so the label is the same for every request with that header
 * and default port.
 */
function withDefaultPort(named: HostHeader, port: number | undefined): string {
  let host = named.withDefaultPort.get(port);
  if (host === undefined) {
    host = peerHost(named.name, port);
    // An agent's default port is the caller's choice; a few are real, more are kept from growing.
    if (named.withDefaultPort.size < MAX_DEFAULT_PORTS) named.withDefaultPort.set(port, host);
  }
  return host;
}

const MAX_DEFAULT_PORTS = 8;

function defaultPort(request: ClientRequestPeer): number | undefined {
  const agentPort = request.agent ? request.agent.defaultPort : undefined;
  if (typeof agentPort === 'number') return agentPort;
  return typeof request.protocol === 'string' ? DEFAULT_PORTS[request.protocol] : undefined;
}
