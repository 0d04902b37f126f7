/**
 * The send queue on local disk (`<stateDir>/sends`): an fsynced journal (journal.ts), one try
 * in flight per contact (its sends go out in arrival order), at most `concurrency` tries at
 * once and `sendRate` per second, backoff with jitter (or the provider's Retry-After), and a
 * dead letter once a send is refused, too old or tried too often.
 */
import { mkdirSync } from 'node:fs';
import { messageOf } from '../errors.js';
import { buildRateLimiter, type RateLimiter } from '../lib/rate-limit.js';
import { acquireLock } from '../outbox/lock.js';
import { ContactLines } from './contact-lines.js';
import { quarantineSendJournal, readSendJournal, SendJournal } from './journal.js';
import { type FileSendQueueOptions, type ResolvedQueueOptions, withQueueDefaults } from './options.js';
import { planOutcome, tooOldReason } from './outcome.js';
import { addRecord, line, replaySends, snapshotLines } from './state.js';

export type { FileSendQueueOptions };

import type {
  EnqueueSend,
  QueuedSend,
  SendQueue,
  SendQueueHooks,
  SendQueueStats,
  SendResultOf,
  SendState,
  SendWorker,
} from './types.js';

/**
 * Opens (creating) the queue and replays its journal.
 * @example const queue = await openFileSendQueue({ dir: '.custom-channel/sends' }); queue.start(worker, hooks)
 */
export async function openFileSendQueue(options: FileSendQueueOptions): Promise<FileSendQueue> {
  const mapLimit = options.mapLimit ?? 100_000;
  if (options.readOnly) return new FileSendQueue(options, replaySends(readSendJournal(options.dir).records, mapLimit));
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const release = acquireLock(options.dir);
  try {
    const scan = readSendJournal(options.dir);
    const warning = await quarantineSendJournal(options.dir, scan);
    if (warning) options.log?.(warning, { quarantined: scan.unreadable.length });
    const queue = new FileSendQueue(
      options,
      replaySends(scan.records, mapLimit),
      new SendJournal(options.dir, scan.records.length),
      release,
    );
    queue.compact();
    return queue;
  } catch (error) {
    release();
    throw error;
  }
}

export class FileSendQueue implements SendQueue {
  readonly dir: string;
  #o: ResolvedQueueOptions;
  #log: NonNullable<FileSendQueueOptions['log']>;
  #journal?: SendJournal;
  #release: () => void;
  #pending: Map<string, QueuedSend>;
  #dead: Map<string, QueuedSend>;
  #map: Map<string, string>;
  #contacts = new ContactLines();
  #due = new Set<string>();
  #sleeping = new Set<string>();
  #inFlight = new Map<string, AbortController>();
  #tasks = new Set<Promise<void>>();
  /** Ids of pending sends whose last try got no answer. */
  #uncertain = new Set<string>();
  #tries = new Map<string, number>();
  #reports = new Set<Promise<unknown>>();
  #limiter?: RateLimiter;
  #worker?: SendWorker;
  #hooks: SendQueueHooks = {};
  #running = false;
  #tick?: NodeJS.Timeout;
  #rateTimer?: NodeJS.Timeout;
  #seq: number;
  #sent = 0;
  #closed?: Promise<void>;

  constructor(
    options: FileSendQueueOptions,
    state: ReturnType<typeof replaySends>,
    journal?: SendJournal,
    release = () => {},
  ) {
    this.dir = options.dir;
    this.#o = withQueueDefaults(options);
    this.#log = options.log ?? (() => {});
    if (options.sendRate) this.#limiter = buildRateLimiter({ limit: options.sendRate, now: this.#o.now });
    this.#journal = journal;
    this.#release = release;
    this.#pending = state.pending;
    this.#dead = state.dead;
    this.#map = state.map;
    this.#seq = Math.max(state.maxSeq, this.#o.now() * 1000);
    for (const send of [...this.#pending.values()].sort((a, b) => a.seq - b.seq)) {
      // A try may have been in flight when the last process died: the provider may hold it.
      if (send.attempts > 0) this.#setUncertain(send, true);
      this.#contacts.insert(send);
    }
  }

  nextSeq(): number {
    this.#seq += 1;
    return this.#seq;
  }

  #writable(): SendJournal {
    if (this.#closed) throw new Error('send queue is closed');
    if (!this.#journal) throw new Error('send queue was opened read-only');
    return this.#journal;
  }

  #setUncertain(send: QueuedSend, uncertain: boolean): void {
    if (uncertain) {
      send.uncertain = true;
      send.nextAt = Math.min(send.nextAt, this.#o.now());
      this.#uncertain.add(send.id);
    } else {
      send.uncertain = undefined;
      this.#uncertain.delete(send.id);
    }
  }

  async enqueue(input: EnqueueSend): Promise<void> {
    const journal = this.#writable();
    const send: QueuedSend = { ...input, contactId: input.input.contactId };
    const contact = send.contactId;
    this.#contacts.staging.add(contact);
    try {
      await journal.append(line(addRecord(send)), 1);
      this.#pending.set(send.id, send);
      if (send.uncertain) this.#setUncertain(send, true);
      this.#contacts.insert(send);
    } finally {
      this.#contacts.staging.delete(contact);
    }
    this.#consider(contact);
    this.#pump();
  }

  busy(contactId: string): boolean {
    return this.#contacts.busy(contactId);
  }

  hold(contactId: string): () => void {
    this.#contacts.held.add(contactId);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#contacts.held.delete(contactId);
      this.#consider(contactId);
      this.#pump();
    };
  }

  bridgeMIdOf(providerMId: string): string | undefined {
    return this.#map.get(providerMId);
  }

  unsettled(): boolean {
    return this.#inFlight.size > 0 || this.#uncertain.size > 0;
  }

  async settled(ms: number): Promise<void> {
    const until = performance.now() + ms;
    while (this.unsettled() && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  start(worker: SendWorker, hooks: SendQueueHooks = {}): void {
    this.#writable();
    this.#worker = worker;
    this.#hooks = hooks;
    if (this.#running) return;
    this.#running = true;
    for (const contact of [...this.#contacts.contacts()]) this.#consider(contact);
    this.#pump();
  }

  /** Puts a contact's head where it belongs: due now, asleep until its next try, or nowhere. */
  #consider(contact: string): void {
    this.#due.delete(contact);
    this.#sleeping.delete(contact);
    const head = this.#contacts.head(contact);
    if (!head || this.#contacts.blocked(contact)) return;
    if (head.nextAt <= this.#o.now()) this.#due.add(contact);
    else {
      this.#sleeping.add(contact);
      this.#armTick();
    }
  }

  #armTick(): void {
    if (this.#tick || !this.#running) return;
    // One coarse tick while anything sleeps: O(sleeping) every 100 ms, not a timer per send.
    this.#tick = setTimeout(() => {
      this.#tick = undefined;
      const now = this.#o.now();
      for (const contact of this.#sleeping) {
        const head = this.#contacts.head(contact);
        if (!head || head.nextAt <= now || now - head.receivedAt >= this.#o.maxAgeMs) this.#consider(contact);
      }
      if (this.#sleeping.size > 0) this.#armTick();
      this.#pump();
    }, 100);
    this.#tick.unref?.();
  }

  #pump(): void {
    if (!this.#running || !this.#worker) return;
    while (this.#due.size > 0 && this.#inFlight.size < this.#o.concurrency) {
      const contact = this.#due.values().next().value as string;
      this.#due.delete(contact);
      const head = this.#contacts.head(contact);
      if (!head || this.#contacts.blocked(contact)) continue;
      const now = this.#o.now();
      if (now - head.receivedAt >= this.#o.maxAgeMs) {
        this.#track(contact, this.#giveUp(head, tooOldReason(head, this.#o.maxAgeMs)));
        continue;
      }
      if (this.#limiter) {
        const decision = this.#limiter.take('provider');
        if (!decision.allowed) {
          this.#due.add(contact);
          if (!this.#rateTimer) {
            this.#rateTimer = setTimeout(() => {
              this.#rateTimer = undefined;
              this.#pump();
            }, decision.retryAfterMs);
          }
          return;
        }
      }
      this.#dispatch(contact, head);
    }
  }

  #track(contact: string, work: Promise<void>): void {
    this.#contacts.working.add(contact);
    const task = work
      .catch((error) => this.#log('send queue step failed', { error: messageOf(error) }))
      .finally(() => {
        this.#tasks.delete(task);
        this.#contacts.working.delete(contact);
        this.#consider(contact);
        this.#pump();
      });
    this.#tasks.add(task);
  }

  #dispatch(contact: string, send: QueuedSend): void {
    const controller = new AbortController();
    this.#inFlight.set(send.id, controller);
    const worker = this.#worker as SendWorker;
    this.#track(
      contact,
      (async () => {
        let result: SendResultOf;
        try {
          result = await worker(send, controller.signal);
        } catch (error) {
          result = { ok: false, retry: true, error: messageOf(error) };
        } finally {
          this.#inFlight.delete(send.id);
        }
        send.attempts += 1;
        await this.#settle(send, result);
      })(),
    );
  }

  async #settle(send: QueuedSend, result: SendResultOf): Promise<void> {
    const journal = this.#journal as SendJournal;
    const now = this.#o.now();
    this.#setUncertain(send, !result.ok && result.retry && result.uncertain === true);
    if (result.ok) {
      this.#remove(send);
      this.#map.set(result.providerMId, send.id);
      if (this.#map.size > this.#o.mapLimit) this.#map.delete(this.#map.keys().next().value as string);
      // At once, before anything else: this mark is what keeps a restart from sending it again.
      journal.writeNow(line({ op: 'sent', id: send.id, pm: result.providerMId, at: now }));
      this.#sent += 1;
      this.#hooks.onAttempt?.(send, result);
      // The provider is back: sends of other contacts waiting out a backoff go now.
      for (const contact of [...this.#sleeping]) {
        const head = this.#contacts.head(contact);
        if (head) head.nextAt = Math.min(head.nextAt, now);
        this.#consider(contact);
      }
      // Reported off the contact's path: its next send may go as soon as the provider took this one.
      const report = Promise.resolve()
        .then(() => this.#hooks.onSent?.(send, result.providerMId))
        .catch((error) => this.#log('could not report a queued send as sent', { error: messageOf(error) }));
      this.#reports.add(report);
      void report.finally(() => this.#reports.delete(report));
      this.compact();
      return;
    }
    send.lastError = result.error;
    // Backoff counts this process's tries of the send, not those made inside `/message`.
    const tries = (this.#tries.get(send.id) ?? 0) + 1;
    const outcome = planOutcome(send, result, tries, this.#o);
    if (outcome.kind !== 'retry') {
      this.#hooks.onAttempt?.(send, result);
      return this.#giveUp(send, outcome.kind === 'dead' ? outcome.reason : result.error);
    }
    this.#tries.set(send.id, tries);
    send.nextAt = now + outcome.delayMs;
    this.#hooks.onAttempt?.(send, result, send.nextAt);
    journal.writeNow(line({ op: 'try', id: send.id, attempts: send.attempts, err: result.error, next: send.nextAt }));
  }

  async #giveUp(send: QueuedSend, reason: string): Promise<void> {
    try {
      await this.#hooks.onDead?.(send, reason);
    } catch (error) {
      // respond.io must hear of it: keep the send and try to report again shortly.
      this.#log('could not record the failed status; will try again', { error: messageOf(error) });
      send.nextAt = this.#o.now() + 5000;
      return;
    }
    this.#remove(send);
    const at = this.#o.now();
    this.#dead.set(send.id, { ...send, reason, deadAt: at });
    await (this.#journal as SendJournal).append(line({ op: 'dead', id: send.id, at, reason }), 1);
    this.compact();
  }

  #remove(send: QueuedSend): void {
    this.#pending.delete(send.id);
    this.#uncertain.delete(send.id);
    this.#tries.delete(send.id);
    this.#contacts.remove(send);
  }

  /** Rewrites the journal to its live records once it is mostly history. */
  compact(): void {
    const journal = this.#journal;
    if (!journal) return;
    const live = this.#pending.size + this.#dead.size * 2 + this.#map.size;
    if (journal.records < live * 2 + 10_000) return;
    const parts = snapshotLines(this.#pending, this.#dead, this.#map);
    journal.compact(parts.join(''), parts.length);
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#tick);
    clearTimeout(this.#rateTimer);
    this.#tick = undefined;
    this.#rateTimer = undefined;
    const grace = setTimeout(() => {
      for (const controller of this.#inFlight.values()) controller.abort(new Error('the bridge is shutting down'));
    }, this.#o.stopGraceMs);
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    clearTimeout(grace);
    await Promise.allSettled([...this.#reports]);
  }

  stats(): SendQueueStats {
    return {
      pending: this.#pending.size,
      inFlight: this.#inFlight.size,
      dead: this.#dead.size,
      sent: this.#sent,
      mapped: this.#map.size,
    };
  }

  async list(state: SendState): Promise<QueuedSend[]> {
    const source = state === 'dead' ? this.#dead : this.#pending;
    return [...source.values()].sort((a, b) => a.seq - b.seq);
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.stop();
      await this.#journal?.close();
      this.#release();
    })();
    return this.#closed;
  }
}
