/**
 * Outbound calls the library makes itself (Pushgateway pushes) are marked here so that the outbound
 * metrics describe the app's own calls only. A WeakSet: marking never keeps a request alive.
 */
const unrecorded = new WeakSet<object>();

/** Keeps one outbound request (a `node:http` ClientRequest or an undici request) out of the metrics. */
export function excludeFromClientMetrics(request: object): void {
  unrecorded.add(request);
}

export function isExcludedFromClientMetrics(request: object): boolean {
  return unrecorded.has(request);
}
