/**
 * What every transport's instrumentation (HTTP today; GraphQL, microservices and WebSockets beside it)
 * offers the module: it is found and attached at module init, told when the app has bootstrapped, and
 * detached when the app closes. A transport that depends on an optional peer package is built by a
 * loader that imports that package lazily, only when the app uses the transport.
 */
export interface TransportInstrumentation {
  /** Starts observing. Runs at module init, after the app's routes or handlers are registered. */
  attach(): void;
  /** Runs once the whole app has bootstrapped, for what can only be found then. */
  bootstrapped?(): void;
  /** Stops observing; called when the app closes. Must be safe to call twice. */
  detach(): void;
}
