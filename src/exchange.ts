/**
 * One HTTP exchange on either leg of a custom channel, as dev's console, `send`'s timeline
 * and the inspector page show it. Headers are masked before a record is made.
 */

/** `respondio`: respond.io (or the emulator) <-> bridge. `provider`: bridge <-> provider. `queue`: a step of the bridge's send queue (method QUEUED, ATTEMPT, SENT or FAILED). */
export type Leg = 'respondio' | 'provider' | 'queue';
/** `in`: the bridge received the request. `out`: the bridge made the request. */
export type Direction = 'in' | 'out';

export interface Exchange {
  /** Unique within a process, increasing. */
  id: number;
  /** When the request started, epoch ms. */
  time: number;
  leg: Leg;
  direction: Direction;
  method: string;
  /** Path for `in`, full URL for `out`. */
  url: string;
  /** HTTP status, or 0 when no response came (network error, timeout). */
  status: number;
  latencyMs: number;
  requestHeaders: Record<string, string>;
  requestBody?: unknown;
  responseHeaders?: Record<string, string>;
  responseBody?: unknown;
  contactId?: string;
  messageType?: string;
  mId?: string;
  /** Shared by a request the bridge received and the provider calls made while handling it. */
  trace?: string;
  error?: string;
}

export type ExchangeListener = (exchange: Exchange) => void;

/** A tiny fan-out for exchange records; listeners that throw are isolated. */
export class ExchangeFeed {
  #listeners = new Set<ExchangeListener>();
  #nextId = 1;

  /** Subscribes; returns the unsubscribe function. */
  subscribe(listener: ExchangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stamps an id and publishes. */
  publish(exchange: Omit<Exchange, 'id'>): Exchange {
    const record = { ...exchange, id: this.#nextId++ };
    for (const listener of this.#listeners) {
      try {
        listener(record);
      } catch {
        // A broken listener must not break traffic.
      }
    }
    return record;
  }
}
