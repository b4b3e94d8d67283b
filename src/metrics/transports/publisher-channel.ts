import diagnosticsChannel, { type Channel } from 'node:diagnostics_channel';
// Loaded first so that `node:http` has created its channels (`http.client.*`, `http.server.*`) before
// any lookup below.
import 'node:http';

/**
 * Why the library subscribes through channel objects it holds, never by name.
 *
 * Node 20's `diagnostics_channel` keeps channels by name in a map of weak references, and the
 * FinalizationRegistry that cleans that map deletes an entry by its name alone. A channel object that
 * nothing holds (one created by `subscribe(name)` before its publisher loaded, once unsubscribed) can
 * be collected; when the next lookup of that name has already created a new object before the old
 * one's finalizer ran, the finalizer deletes the new object's entry, the following lookup creates a
 * third object, and a publisher and a subscriber that looked the name up on either side of that hold
 * different objects: messages are then lost without a trace. That is how fetch calls went uncounted
 * when an app was created and closed before Node's bundled undici (loaded at the first `fetch`) was,
 * and then another one was created.
 *
 * The hazard needs a channel object for the name to be collected, which cannot happen to one its
 * publisher holds: a lookup made after the publisher has loaded returns the publisher's own object,
 * which it keeps for the life of the process. So the publisher is loaded before the first lookup
 * (`node:http` above; Node's bundled undici by {@link loadBundledUndici}), and where there is no
 * publisher yet (the `undici` package not loaded, or `fetch` disabled) the object is created here and
 * kept here for the life of the process, so its publisher will find the same one. The objects are
 * also subscribed to directly rather than looked up again, so a later lookup cannot hand a
 * subscriber a different object. What this cannot prevent is another module having created and
 * dropped a channel of the same name before this one looked it up.
 */
const held = new Map<string, Channel>();

/** The channel `name`'s publisher publishes on, looked up once and kept. */
export function publisherChannel(name: string): Channel {
  let channel = held.get(name);
  if (!channel) {
    channel = diagnosticsChannel.channel(name);
    held.set(name, channel);
  }
  return channel;
}

/**
 * Loads Node's bundled undici, the one behind global `fetch`, which Node loads only at the first use
 * of one of its globals: reading one is what loads it, and loading it creates the `undici:*` channels
 * it holds for the life of the process.
 *
 * @returns whether Node has `fetch` (not when run with `--no-experimental-fetch`).
 */
export function loadBundledUndici(): boolean {
  return typeof globalThis.Response === 'function';
}
