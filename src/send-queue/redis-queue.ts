/**
 * The send queue on Redis, shared by the bridge instances of one channel: one queue, one try in
 * flight per contact across all of them (its sends go out in arrival order), one sendRate
 * budget, one provider-id -> mId map, and dead letters every instance lists. A contact being
 * tried is leased, renewed while the instance lives: when one dies (`kill -9`) its contacts are
 * taken over once the lease runs out, the interrupted try counted as uncertain (sent again at
 * once, under the same idempotency key). The atomic steps are Lua scripts (redis/scripts.ts);
 * this class runs the try loop, with the file queue's rules for what an outcome means
 * (outcome.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { messageOf } from '../errors.js';
import { WakeableSleep } from '../lib/wakeable-sleep.js';
import { openCheckedRedis } from '../outbox/redis/open.js';
import { type ResolvedQueueOptions, withQueueDefaults } from './options.js';
import { planOutcome, tooOldReason } from './outcome.js';
import {
  parseStored,
  type SendClaim,
  type SendCounts,
  SendScripts,
  type SendSettle,
  stored,
} from './redis/commands.js';
import { type RedisSendQueueOptions, redisPrefixOf } from './redis/options.js';
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

export type { RedisSendQueueOptions };

/**
 * Connects, refuses a Redis that would lose acknowledged sends (unless `allowVolatile`), and
 * returns the queue; `start()` begins trying.
 * @example const queue = await openRedisSendQueue({ url: 'redis://127.0.0.1:6379', channelId }); queue.start(worker, hooks)
 */
export async function openRedisSendQueue(options: RedisSendQueueOptions): Promise<RedisSendQueue> {
  const { redis, own } = await openCheckedRedis(options, 'openRedisSendQueue');
  return new RedisSendQueue(redis, options, own);
}

interface Flight {
  contactId: string;
  token: string;
  controller: AbortController;
  send: QueuedSend;
  tries: number;
}

/**
 * The sendRate window: a second, plus a guard for the time between a claim (when Redis counts
 * the try) and the request leaving its instance, which varies from instance to instance.
 */
const RATE_WINDOW_MS = 1050;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class RedisSendQueue implements SendQueue {
  readonly scripts: SendScripts;
  readonly statusWaitMs: number;
  #redis: Redis;
  #own: boolean;
  #o: ResolvedQueueOptions;
  #leaseMs: number;
  #idlePollMs: number;
  #sendRate: number;
  #log: NonNullable<RedisSendQueueOptions['log']>;
  #instance = randomBytes(6).toString('hex');
  #n = 0;
  #worker?: SendWorker;
  #hooks: SendQueueHooks = {};
  #running = false;
  #loop?: Promise<void>;
  #pause = new WakeableSleep();
  #heartbeat?: NodeJS.Timeout;
  #closed?: Promise<void>;
  #flights = new Map<string, Flight>();
  #tasks = new Set<Promise<void>>();
  #reports = new Set<Promise<unknown>>();
  /** Holds of this instance: token -> contact. */
  #holds = new Map<string, string>();
  #staging = new Map<string, number>();
  /** provider id -> mId of the sends this instance made: answered without asking Redis. */
  #map = new Map<string, string>();
  #counts: SendCounts = { pending: 0, dead: 0, leased: 0, uncertain: 0, mapped: 0 };
  #sent = 0;
  #down = false;

  constructor(redis: Redis, options: RedisSendQueueOptions, own = false) {
    this.#redis = redis;
    this.#own = own;
    this.#o = withQueueDefaults(options);
    this.#leaseMs = options.leaseMs ?? 5000;
    // A dead instance's lease runs out, then the try is made again: a status waits that long.
    this.statusWaitMs = this.#leaseMs + 3000;
    this.#idlePollMs = options.idlePollMs ?? 100;
    this.#sendRate = options.sendRate ?? 0;
    this.#log = options.log ?? (() => {});
    this.scripts = new SendScripts(redis, redisPrefixOf(options), this.#o.maxAgeMs);
  }

  #token(kind: string): string {
    this.#n += 1;
    return `${this.#instance}:${kind}${this.#n.toString(36)}`;
  }

  /** Logs the first failure of an outage, not every poll of it. */
  #failed(error: unknown, what: string): void {
    if (!this.#down) this.#log(`send queue: redis ${what} failed`, { error: messageOf(error) });
    this.#down = true;
  }

  nextSeq(): Promise<number> {
    return this.scripts.nextSeq();
  }

  async enqueue(input: EnqueueSend): Promise<void> {
    if (this.#closed) throw new Error('send queue is closed');
    const send: QueuedSend = { ...input, contactId: input.input.contactId };
    const contact = send.contactId;
    this.#staging.set(contact, (this.#staging.get(contact) ?? 0) + 1);
    try {
      this.#counts = await this.scripts.enqueue(send.id, contact, send.seq, stored(send, 0), send.uncertain === true);
    } finally {
      const left = (this.#staging.get(contact) ?? 1) - 1;
      if (left > 0) this.#staging.set(contact, left);
      else this.#staging.delete(contact);
    }
    this.#pause.wake();
  }

  busy(contactId: string): boolean | Promise<boolean> {
    if (this.#staging.has(contactId) || [...this.#holds.values()].includes(contactId)) return true;
    return this.scripts.busy(contactId);
  }

  hold(contactId: string): () => void {
    const token = this.#token('h');
    this.#holds.set(token, contactId);
    const write = (on: boolean) =>
      this.scripts.hold(contactId, token, this.#leaseMs, on).catch((error) => this.#failed(error, 'hold'));
    void write(true);
    return () => {
      if (!this.#holds.delete(token)) return;
      // Written after the hold on the same connection, so Redis sees them in order.
      void write(false).then(() => this.#pause.wake());
    };
  }

  bridgeMIdOf(providerMId: string): string | undefined | Promise<string | undefined> {
    return this.#map.get(providerMId) ?? this.scripts.bridgeMIdOf(providerMId);
  }

  /** Always true: another instance may be trying right now; `settled` asks Redis which tries are in flight. */
  unsettled(): boolean {
    return true;
  }

  /**
   * Resolves once the sends being tried (anywhere) or uncertain at the call are settled, or
   * after `ms`. A send whose instance died stays unsettled until another one has tried it again.
   */
  async settled(ms: number): Promise<void> {
    await this.scripts.settled(ms).catch((error) => this.#failed(error, 'read'));
  }

  start(worker: SendWorker, hooks: SendQueueHooks = {}): void {
    if (this.#closed) throw new Error('send queue is closed');
    this.#worker = worker;
    this.#hooks = hooks;
    if (this.#running) return;
    this.#running = true;
    this.#heartbeat = setInterval(() => void this.#renew(), Math.max(100, Math.floor(this.#leaseMs / 4)));
    this.#loop = this.#run();
  }

  async #renew(): Promise<void> {
    const held: Array<['l' | 'h', string, string]> = [];
    for (const flight of this.#flights.values()) held.push(['l', flight.contactId, flight.token]);
    for (const [token, contact] of this.#holds) held.push(['h', contact, token]);
    await this.scripts.renew(this.#leaseMs, held).catch((error) => this.#failed(error, 'lease renewal'));
  }

  async #run(): Promise<void> {
    while (this.#running) {
      if (this.#flights.size >= this.#o.concurrency) {
        await this.#pause.sleep(this.#idlePollMs, true);
        continue;
      }
      const token = this.#token('l');
      let claim: SendClaim;
      try {
        claim = await this.scripts.claim(token, this.#sendRate, RATE_WINDOW_MS, this.#leaseMs);
        this.#down = false;
      } catch (error) {
        this.#failed(error, 'claim');
        await this.#pause.sleep(250, false);
        continue;
      }
      this.#counts = claim.counts;
      if (claim.kind === 'send') this.#dispatch(claim, token);
      else if (claim.waitMs === undefined || claim.waitMs > this.#idlePollMs)
        await this.#pause.sleep(this.#idlePollMs, true);
      else await this.#pause.sleep(claim.waitMs, false);
    }
  }

  #dispatch(claim: Extract<SendClaim, { kind: 'send' }>, token: string): void {
    const { send, tries } = parseStored(claim.json, claim.uncertain);
    const flight: Flight = { contactId: claim.contactId, token, controller: new AbortController(), send, tries };
    this.#flights.set(token, flight);
    const task = (claim.tooOld ? this.#giveUp(flight, tooOldReason(send, this.#o.maxAgeMs)) : this.#try(flight))
      .catch((error) => this.#log('send queue step failed', { error: messageOf(error) }))
      .finally(() => {
        this.#flights.delete(token);
        this.#tasks.delete(task);
        this.#pause.wake();
      });
    this.#tasks.add(task);
  }

  async #try(flight: Flight): Promise<void> {
    const { send } = flight;
    let result: SendResultOf;
    try {
      result = await (this.#worker as SendWorker)(send, flight.controller.signal);
    } catch (error) {
      result = { ok: false, retry: true, error: messageOf(error) };
    }
    send.attempts += 1;
    if (result.ok) {
      const { providerMId } = result;
      // Known here at once: a status callback to this instance need not wait for Redis.
      this.#map.set(providerMId, send.id);
      if (this.#map.size > this.#o.mapLimit) this.#map.delete(this.#map.keys().next().value as string);
      if (!(await this.#write(flight, { kind: 'sent', providerMId }))) return;
      this.#sent += 1;
      this.#hooks.onAttempt?.(send, result);
      // Reported off the contact's path: its next send may go as soon as the provider took this one.
      const report = Promise.resolve()
        .then(() => this.#hooks.onSent?.(send, providerMId))
        .catch((error) => this.#log('could not report a queued send as sent', { error: messageOf(error) }));
      this.#reports.add(report);
      void report.finally(() => this.#reports.delete(report));
      return;
    }
    send.lastError = result.error;
    const tries = flight.tries + 1;
    const outcome = planOutcome(send, result, tries, this.#o);
    if (outcome.kind !== 'retry') {
      this.#hooks.onAttempt?.(send, result);
      await this.#giveUp(flight, outcome.kind === 'dead' ? outcome.reason : result.error);
      return;
    }
    send.nextAt = this.#o.now() + outcome.delayMs;
    this.#hooks.onAttempt?.(send, result, send.nextAt);
    await this.#write(flight, { kind: 'retry', json: stored(send, tries), uncertain: outcome.uncertain });
  }

  async #giveUp(flight: Flight, reason: string): Promise<void> {
    const { send } = flight;
    try {
      await this.#hooks.onDead?.(send, reason);
    } catch (error) {
      // respond.io must hear of it: keep the send and try to report again shortly.
      this.#log('could not record the failed status; will try again', { error: messageOf(error) });
      send.nextAt = this.#o.now() + 5000;
      await this.#write(flight, { kind: 'retry', json: stored(send, flight.tries), uncertain: send.uncertain });
      return;
    }
    const { uncertain: _uncertain, ...rest } = send;
    const json = JSON.stringify({ ...rest, reason, deadAt: this.#o.now() });
    await this.#write(flight, { kind: 'dead', json });
  }

  /**
   * Records an outcome and releases the contact. Redis may be down right now: keeps trying while
   * the lease would hold, so a send the provider took is not tried again; after that another
   * instance tries it again (under the same idempotency key). False when it was not recorded.
   */
  async #write(flight: Flight, step: Omit<SendSettle, 'contactId' | 'token' | 'id' | 'mapLimit'>): Promise<boolean> {
    const deadline = Date.now() + this.#leaseMs * 3;
    const input = { ...step, contactId: flight.contactId, token: flight.token, id: flight.send.id };
    for (;;) {
      try {
        this.#counts = await this.scripts.settle({ ...input, mapLimit: this.#o.mapLimit });
        this.#down = false;
        return true;
      } catch (error) {
        this.#failed(error, 'settle');
        if (Date.now() > deadline || this.#closed) return false;
        await sleep(200);
      }
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#pause.wake();
    const grace = setTimeout(() => {
      for (const flight of this.#flights.values()) flight.controller.abort(new Error('the bridge is shutting down'));
    }, this.#o.stopGraceMs);
    await this.#loop;
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    clearTimeout(grace);
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    await Promise.allSettled([...this.#reports]);
  }

  stats(): SendQueueStats {
    const { pending, dead, mapped } = this.#counts;
    return { pending, inFlight: this.#flights.size, dead, sent: this.#sent, mapped };
  }

  async list(state: SendState): Promise<QueuedSend[]> {
    const { sends, uncertain } = await this.scripts.entries(state);
    return sends
      .map((json) => {
        const { send } = parseStored(json, false);
        return state === 'pending' && uncertain.has(send.id) ? { ...send, uncertain: true } : send;
      })
      .sort((a, b) => a.seq - b.seq);
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.stop();
      if (this.#own) await this.#redis.quit().catch(() => this.#redis.disconnect());
    })();
    return this.#closed;
  }
}
