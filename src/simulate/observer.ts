/**
 * Collects the events that reached respond.io (the emulator) so `simulate` can attribute them
 * to the case that caused them. Any event source pushes into it; `collect` waits for enough.
 */
import type { ObservedEvent } from './checks.js';

export interface CollectOptions {
  /** Index from `mark()`: only events pushed after it. */
  since: number;
  filter(event: ObservedEvent): boolean;
  /** Stop waiting as soon as this holds for the matching events. */
  done(events: readonly ObservedEvent[]): boolean;
  waitMs: number;
}

export interface EventObserver {
  push(event: ObservedEvent): void;
  /** The position of the next event; pass it to `collect` as `since`. */
  mark(): number;
  collect(options: CollectOptions): Promise<ObservedEvent[]>;
}

/** An in-memory observer; `push` is called by whatever watches the emulator. */
export function createEventObserver(): EventObserver {
  const events: ObservedEvent[] = [];
  const waiters = new Set<() => void>();
  return {
    push(event) {
      events.push(event);
      for (const wake of waiters) wake();
    },
    mark: () => events.length,
    collect({ since, filter, done, waitMs }) {
      const matching = () => events.slice(since).filter(filter);
      if (done(matching()) || waitMs <= 0) return Promise.resolve(matching());
      return new Promise((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(matching());
        };
        const check = () => {
          if (done(matching())) finish();
        };
        const timer = setTimeout(finish, waitMs);
        waiters.add(check);
      });
    },
  };
}
