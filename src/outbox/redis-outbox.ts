/**
 * The outbox on Redis, shared by several bridge instances of one channel: one queue, one
 * 20-per-rolling-second budget, one deduplication memory, per-contact order, and no event lost
 * when an instance dies (its contacts' leases expire and another instance takes them over).
 * The atomic steps are Lua scripts (redis/scripts.ts); this class runs the delivery loop.
 *
 * Why not BullMQ: its limiter is a fixed window (an INCR key with PEXPIRE, counted when a job
 * starts), measured here at 39 starts in one rolling second for a 20/s limit; per-contact
 * order needs its groups, a paid feature; and batching a contact's events into one post is
 * paid too. What it would bring beyond that (a job hash and a lock per job) is what the
 * scripts do in a few lines.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { BridgeEvent } from '../bridge/adapter.js';
import { messageOf } from '../errors.js';
import { WakeableSleep } from '../lib/wakeable-sleep.js';
import { type Claim, OutboxScripts } from './redis/commands.js';
import { GroupCommit } from './redis/group-commit.js';
import { openCheckedRedis } from './redis/open.js';
import { type RedisOutboxOptions, type ResolvedRedisOptions, redisDefaults } from './redis/options.js';
import { planSettle } from './redis/settle-plan.js';
import {
  type Deliver,
  type DeliveryResult,
  dedupeKey,
  type EnqueueOptions,
  type EnqueueResult,
  type OutboxState as EntryState,
  type Outbox,
  type OutboxEntry,
  OutboxFullError,
  type OutboxStats,
  OutboxUnavailableError,
} from './types.js';

export type { RedisOutboxOptions };

/**
 * Connects, refuses a Redis that would lose acknowledged events (unless `allowVolatile`), and
 * returns the outbox; `start()` begins delivering.
 * @example const outbox = await openRedisOutbox({ url: 'redis://127.0.0.1:6379', channelId }); outbox.start(deliver)
 */
export async function openRedisOutbox(options: RedisOutboxOptions): Promise<RedisOutbox> {
  const { redis, own } = await openCheckedRedis(options, 'openRedisOutbox');
  return new RedisOutbox(redis, options, own);
}

type Triple = [key: string, contactId: string, json: string];

interface Flight {
  contactId: string;
  token: string;
  controller: AbortController;
}

export class RedisOutbox implements Outbox {
  readonly scripts: OutboxScripts;
  #redis: Redis;
  #own: boolean;
  #o: ResolvedRedisOptions;
  #deliver: Deliver | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  #pause = new WakeableSleep();
  #flights = new Map<string, Flight>();
  /** Enqueues of concurrent webhooks go to Redis as one script call (group-commit.ts). */
  #group = new GroupCommit<Triple, string>((triples) => this.#write(triples));
  #tasks = new Set<Promise<void>>();
  #heartbeat: NodeJS.Timeout | undefined;
  #closed: Promise<void> | undefined;
  #instance = randomBytes(6).toString('hex');
  #seq = 0;
  #counts = { pending: 0, dead: 0 };
  #delivered = 0;
  #duplicates = 0;
  #lastError: OutboxStats['lastError'];
  #lastDeliveredAt: number | undefined;
  /** Why Redis cannot be used right now (cleared by the next successful command). */
  #down: string | undefined;

  constructor(redis: Redis, options: RedisOutboxOptions, own: boolean) {
    this.#redis = redis;
    this.#own = own;
    this.#o = redisDefaults(options);
    this.scripts = new OutboxScripts(redis, this.#o.prefix);
  }

  #ok(): void {
    this.#down = undefined;
  }

  #failed(error: unknown, what: string): string {
    const raw = messageOf(error);
    const offline = this.#redis.status !== 'ready' || /timed? ?out|ECONN|closed|writeable|connect/i.test(raw);
    // ioredis says "Stream isn't writeable and enableOfflineQueue options is false" for "down".
    const why = offline && /writeable|closed/i.test(raw) ? `connection ${this.#redis.status}` : raw;
    const message = `redis ${what}: ${offline ? `Redis unreachable (${why})` : why}`;
    this.#lastError = { message, at: this.#o.now() };
    if (offline) this.#down = `Redis unreachable (${why})`;
    return message;
  }

  /** Ready to take events? `reason` says why not (for the bridge's /ready). */
  health(): { ok: boolean; reason?: string } {
    if (this.#closed) return { ok: false, reason: 'outbox closed' };
    if (this.#redis.status !== 'ready')
      return { ok: false, reason: `Redis unreachable (connection ${this.#redis.status})` };
    if (this.#down) return { ok: false, reason: this.#down };
    return { ok: true };
  }

  async enqueue(events: readonly BridgeEvent[], options: EnqueueOptions = {}): Promise<EnqueueResult> {
    if (this.#closed) throw new Error('outbox is closed');
    const triples = events.map((item): Triple => {
      const key = dedupeKey(item.event);
      const rest = JSON.stringify({ key, item, attempts: 0 }).slice(1);
      return [key, item.contactId, rest];
    });
    if (triples.length === 0) return { ids: [], duplicates: 0 };
    let ids: string[];
    if (options.deadLetter === undefined) ids = await this.#group.add(triples);
    else ids = await this.#write(triples, options.deadLetter);
    const fresh = ids.filter((id) => id !== '');
    this.#duplicates += ids.length - fresh.length;
    if (options.deadLetter === undefined) this.#counts.pending += fresh.length;
    else this.#counts.dead += fresh.length;
    if (fresh.length > 0) this.#pause.wake();
    return { ids: fresh, duplicates: ids.length - fresh.length };
  }

  async #write(triples: readonly Triple[], deadLetter?: string): Promise<string[]> {
    try {
      const ids = await this.scripts.enqueue(triples, this.#o.maxEvents, this.#o.dedupeRetentionMs, deadLetter);
      this.#ok();
      return ids;
    } catch (error) {
      if (/^FULL /.test(messageOf(error))) throw new OutboxFullError(this.#o.maxEvents);
      const message = this.#failed(error, 'enqueue');
      // Reachable but refusing writes (OOM under noeviction, MISCONF after a failed AOF write,
      // LOADING after a restart) is "cannot record" too, until the next write succeeds.
      this.#down ??= message.replace(/^redis enqueue: /, 'Redis refuses writes: ');
      throw new OutboxUnavailableError(`${message}; nothing was recorded`);
    }
  }

  start(deliver: Deliver): void {
    if (this.#closed) throw new Error('outbox is closed');
    this.#deliver = deliver;
    if (this.#running) return;
    this.#running = true;
    const beat = Math.max(100, Math.floor(this.#o.leaseMs / 4));
    this.#heartbeat = setInterval(() => void this.#renew(), beat);
    this.#loop = this.#run();
  }

  async #renew(): Promise<void> {
    const held = [...this.#flights.values()].map((f): [string, string] => [f.contactId, f.token]);
    try {
      await this.scripts.renew(this.#o.leaseMs, held);
    } catch (error) {
      this.#failed(error, 'lease renewal');
    }
  }

  async #run(): Promise<void> {
    const o = this.#o;
    while (this.#running) {
      if (this.#flights.size >= o.concurrency) {
        await this.#pause.sleep(o.idlePollMs, true);
        continue;
      }
      this.#seq += 1;
      const token = `${this.#instance}:${this.#seq.toString(36)}`;
      let claim: Claim;
      try {
        claim = await this.scripts.claim(token, o.rateLimitPerSecond, o.rateWindowMs, o.leaseMs, o.maxBatch);
        this.#ok();
      } catch (error) {
        this.#failed(error, 'claim');
        await this.#pause.sleep(250, false);
        continue;
      }
      this.#counts = { pending: claim.pending, dead: claim.dead };
      if (claim.kind === 'batch') {
        this.#dispatch(claim, token);
        continue;
      }
      // Rate slot or pause: sleep exactly; nothing ready: until local work arrives or the next poll.
      if (claim.waitMs === undefined || claim.waitMs > o.idlePollMs) await this.#pause.sleep(o.idlePollMs, true);
      else await this.#pause.sleep(Math.ceil(claim.waitMs), false);
    }
  }

  #dispatch(claim: Extract<Claim, { kind: 'batch' }>, token: string): void {
    const deliver = this.#deliver as Deliver;
    const batch = claim.entries.map((json): OutboxEntry => {
      const entry = JSON.parse(json) as OutboxEntry;
      entry.attempts += 1;
      return entry;
    });
    const controller = new AbortController();
    const flight: Flight = { contactId: claim.contactId, token, controller };
    this.#flights.set(token, flight);
    const task = deliver(batch, controller.signal)
      .catch((error): DeliveryResult => ({ ok: false, retry: true, error: messageOf(error) }))
      .then((result) => this.#settle(flight, batch, claim.split, result, performance.now()))
      .finally(() => {
        this.#flights.delete(token);
        this.#tasks.delete(task);
        this.#pause.wake();
      });
    this.#tasks.add(task);
  }

  async #settle(
    flight: Flight,
    batch: OutboxEntry[],
    split: string,
    result: DeliveryResult,
    answeredAt: number,
  ): Promise<void> {
    const now = this.#o.now();
    const plan = planSettle(batch, result, split, now, this.#o);
    if (!result.ok) this.#lastError = { message: result.error, at: now };
    // Redis may be down right now: keep trying while the lease would hold (renewals fail too),
    // so a delivered batch is not sent again. After that another instance resends it.
    const deadline = Date.now() + this.#o.leaseMs * 3;
    for (;;) {
      try {
        const answeredAgoMs = performance.now() - answeredAt;
        this.#counts = await this.scripts.settle({
          ...plan,
          contactId: flight.contactId,
          token: flight.token,
          answeredAgoMs,
        });
        this.#ok();
        break;
      } catch (error) {
        this.#failed(error, 'settle');
        if (Date.now() > deadline || this.#closed) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    if (result.ok) {
      this.#delivered += batch.length;
      this.#lastDeliveredAt = now;
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#pause.wake();
    const grace = setTimeout(() => {
      for (const flight of this.#flights.values()) flight.controller.abort(new Error('outbox stopping'));
    }, this.#o.stopGraceMs);
    await this.#loop;
    // A deliver that ignores its signal must not hold shutdown forever: its lease then expires.
    let giveUp: NodeJS.Timeout | undefined;
    const bound = new Promise((resolve) => {
      giveUp = setTimeout(resolve, this.#o.stopGraceMs + 2000);
    });
    await Promise.race([Promise.allSettled([...this.#tasks]), bound]);
    clearTimeout(giveUp);
    clearTimeout(grace);
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  stats(): OutboxStats {
    const stats: OutboxStats = {
      pending: this.#counts.pending,
      inFlight: this.#flights.size,
      deadLetters: this.#counts.dead,
      delivered: this.#delivered,
      duplicates: this.#duplicates,
    };
    if (this.#lastError) stats.lastError = this.#lastError;
    if (this.#lastDeliveredAt !== undefined) stats.lastDeliveredAt = this.#lastDeliveredAt;
    return stats;
  }

  async list(which: EntryState): Promise<OutboxEntry[]> {
    const raw = await this.scripts.entries(which === 'dead' ? 'D' : 'E');
    return raw.map((json) => JSON.parse(json) as OutboxEntry).sort((a, b) => a.enqueuedAt - b.enqueuedAt);
  }

  async retry(id?: string): Promise<number> {
    const dead = await this.list('dead');
    const targets = id === undefined ? dead : dead.filter((entry) => entry.id === id);
    const fresh = targets.map((entry): [string, string, string] => {
      const { reason: _reason, deadAt: _deadAt, lastError: _lastError, ...rest } = entry;
      return [entry.id, entry.item.contactId, JSON.stringify({ ...rest, attempts: 0 })];
    });
    const moved = await this.scripts.revive(fresh);
    if (moved > 0) this.#pause.wake();
    return moved;
  }

  purge(which: EntryState | 'all' = 'dead'): Promise<number> {
    return this.scripts.purge(which);
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.stop();
      if (this.#own) await this.#redis.quit().catch(() => this.#redis.disconnect());
    })();
    return this.#closed;
  }
}
