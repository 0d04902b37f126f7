/**
 * The visitors' open pages: every live stream of each visitor (one per tab), so a message from
 * respond.io reaches every open page at once. Kept on globalThis so that `custom-channel dev`
 * reloading the adapter after an edit does not orphan the pages already connected.
 */
import type { EventStream } from 'custom-channel';

type Streams = Map<string, Set<EventStream>>;
const KEY = Symbol.for('custom-channel.webchat.streams');
const registry = globalThis as { [KEY]?: Streams };
const streams: Streams = registry[KEY] ?? new Map();
registry[KEY] = streams;

/** Adds a visitor's stream; it leaves the hub when it closes. */
export function join(visitorId: string, stream: EventStream): void {
  let set = streams.get(visitorId);
  if (!set) {
    set = new Set();
    streams.set(visitorId, set);
  }
  set.add(stream);
  stream.signal.addEventListener('abort', () => {
    set.delete(stream);
    if (set.size === 0 && streams.get(visitorId) === set) streams.delete(visitorId);
  });
}

/** Sends one event to every open page of the visitor; how many got it. */
export function publish(visitorId: string, event: string, data: unknown): number {
  let reached = 0;
  for (const stream of streams.get(visitorId) ?? []) if (stream.send({ event, data })) reached += 1;
  return reached;
}

/** Open pages of a visitor. */
export function online(visitorId: string): number {
  return streams.get(visitorId)?.size ?? 0;
}
