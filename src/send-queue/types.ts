/**
 * The send queue: messages respond.io handed the bridge that the provider did not take within
 * `/message`'s answer budget. respond.io already holds a bridge-issued mId for each; the queue
 * keeps trying in the background, per contact in order, and reports the outcome. This
 * interface is all the bridge knows, so a shared store (Redis) can replace the file journal.
 * The file queue answers `nextSeq`, `busy` and `bridgeMIdOf` at once; a shared store may have
 * to ask (a Promise), since another instance may hold the answer.
 */
import type { SendInput } from '../bridge/adapter.js';

export type SendState = 'pending' | 'dead';

/** One queued send, as `list()` shows it. */
export interface QueuedSend {
  /** The mId respond.io was given, and the idempotency key handed to the adapter on every try. */
  id: string;
  /** Arrival order at the bridge: a contact's sends go out in this order. */
  seq: number;
  contactId: string;
  input: SendInput;
  /** When `/message` received it, epoch ms. */
  receivedAt: number;
  /** Tries so far, counting those made inside `/message`. */
  attempts: number;
  lastError?: string;
  /** Next try not before this, epoch ms. */
  nextAt: number;
  /** Dead letters: why the queue gave up. */
  reason?: string;
  deadAt?: number;
  /**
   * The last try got no answer (timed out, cut off, or the bridge restarted mid-try): the
   * provider may have taken it under an id we do not know yet. Tried again at once; its key
   * makes that safe.
   */
  uncertain?: boolean;
}

/** What one background try came to (see `AttemptOutcome`). */
export type SendResultOf =
  | { ok: true; providerMId: string }
  | { ok: false; retry: false; error: string }
  | { ok: false; retry: true; error: string; retryAfterMs?: number; uncertain?: boolean };

/** Tries one queued send; must resolve, not reject. `signal` aborts on shutdown. */
export type SendWorker = (send: QueuedSend, signal: AbortSignal) => Promise<SendResultOf>;

/** What the queue tells the bridge, so respond.io hears of it. */
export interface SendQueueHooks {
  /** The provider took it (after the mapping is recorded): report `sent`. */
  onSent?(send: QueuedSend, providerMId: string): Promise<void> | void;
  /** Given up (refused, too old, too many tries): report `failed` with `reason`. */
  onDead?(send: QueuedSend, reason: string): Promise<void> | void;
  /** Every try's outcome, for the exchange feed. */
  onAttempt?(send: QueuedSend, result: SendResultOf, nextAt?: number): void;
}

export interface SendQueueStats {
  pending: number;
  inFlight: number;
  dead: number;
  sent: number;
  /** provider id -> bridge mId mappings held. */
  mapped: number;
}

export interface EnqueueSend {
  id: string;
  seq: number;
  input: SendInput;
  receivedAt: number;
  attempts: number;
  lastError?: string;
  nextAt: number;
  /** The last try got no answer (see `QueuedSend.uncertain`). */
  uncertain?: boolean;
}

export interface SendQueue {
  /** The next arrival number (call at arrival, before any try, so order follows arrival). */
  nextSeq(): number | Promise<number>;
  /** Resolves once the send is durably recorded. */
  enqueue(send: EnqueueSend): Promise<void>;
  /** True while `contactId` has sends waiting or held (by any instance): a new send must queue behind them. */
  busy(contactId: string): boolean | Promise<boolean>;
  /** A send of `contactId` is retrying inside `/message`: later ones wait for it. Returns the release. */
  hold(contactId: string): () => void;
  /** The bridge mId a provider id was mapped to, once a queued send went out (by any instance). */
  bridgeMIdOf(providerMId: string): string | undefined | Promise<string | undefined>;
  /**
   * Resolves when no try is in flight and no send is uncertain (or after `ms`): a status
   * callback may race the provider's answer that tells us its id.
   */
  settled(ms: number): Promise<void>;
  /**
   * How long a status callback with an unknown provider id waits for `settled` (default 3 s). A
   * shared store waits out a dead instance's lease too: its interrupted try is made again, under
   * the same idempotency key, by whichever instance takes the contact over.
   */
  readonly statusWaitMs?: number;
  /** True while a try is in flight or a send is uncertain: an unknown provider id may still be one of ours. */
  unsettled(): boolean;
  start(worker: SendWorker, hooks?: SendQueueHooks): void;
  stop(): Promise<void>;
  stats(): SendQueueStats;
  list(state: SendState): Promise<QueuedSend[]>;
  close(): Promise<void>;
}
