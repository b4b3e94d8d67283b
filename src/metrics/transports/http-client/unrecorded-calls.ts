/**
 * Outbound calls the library makes itself (Pushgateway pushes) are marked here so that the outbound
 * metrics describe the app's own calls only. The mark is a property under a symbol of this module's
 * own on the request: reading it is one property load on every call the recorder counts, where a
 * WeakSet lookup hashed the request. Like a WeakSet entry, it never keeps a request alive.
 */
const UNRECORDED = Symbol('unrecorded outbound call');

/** Keeps one outbound request (a `node:http` ClientRequest or an undici request) out of the metrics. */
export function excludeFromClientMetrics(request: object): void {
  (request as Record<symbol, boolean>)[UNRECORDED] = true;
}

export function isExcludedFromClientMetrics(request: object): boolean {
  return (request as Record<symbol, boolean | undefined>)[UNRECORDED] === true;
}
