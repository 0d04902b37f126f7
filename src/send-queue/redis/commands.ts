/**
 * Typed calls of the send queue's Lua scripts (scripts.ts) on an ioredis client, as the
 * outbox's (`EVALSHA`, reloaded by ioredis after a Redis restart), plus the plain reads.
 */
import type { Redis } from 'ioredis';
import type { QueuedSend } from '../types.js';
import { BUSY, CLAIM, ENQUEUE, HOLD, IN_FLIGHT, RENEW, SETTLE } from './scripts.js';

const SCRIPTS = {
  ccsEnqueue: ENQUEUE,
  ccsClaim: CLAIM,
  ccsSettle: SETTLE,
  ccsHold: HOLD,
  ccsBusy: BUSY,
  ccsRenew: RENEW,
  ccsInFlight: IN_FLIGHT,
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Call = (...args: Array<string | number>) => Promise<unknown>;

/** The shared counts every script answers with. */
export interface SendCounts {
  pending: number;
  dead: number;
  /** Contacts with a try in flight, on any instance. */
  leased: number;
  uncertain: number;
  mapped: number;
}

export type SendClaim =
  | { kind: 'send'; contactId: string; json: string; uncertain: boolean; tooOld: boolean; counts: SendCounts }
  | { kind: 'wait'; waitMs: number | undefined; counts: SendCounts };

export interface SendSettle {
  contactId: string;
  token: string;
  id: string;
  kind: 'sent' | 'dead' | 'retry';
  /** 'retry': the send updated; 'dead': the dead letter. */
  json?: string;
  providerMId?: string;
  mapLimit: number;
  uncertain?: boolean;
}

/** A send as stored: `tries` counts the queue's own tries (the backoff's step), across instances. */
type StoredSend = Omit<QueuedSend, 'uncertain'> & { tries?: number };

/** The JSON the scripts keep (whether the last try got no answer is kept apart, in a set). */
export function stored(send: QueuedSend, tries: number): string {
  const { uncertain: _uncertain, ...rest } = send;
  return JSON.stringify({ ...rest, tries });
}

export function parseStored(json: string, uncertain: boolean): { send: QueuedSend; tries: number } {
  const { tries = 0, ...send } = JSON.parse(json) as StoredSend;
  return { send: uncertain ? { ...send, uncertain: true } : send, tries };
}

function countsOf(reply: unknown[]): SendCounts {
  const [pending, dead, leased, uncertain, mapped] = reply.slice(-5).map(Number);
  return { pending, dead, leased, uncertain, mapped };
}

/** The send queue's scripts bound to one client, key prefix and maximum age. */
export class SendScripts {
  readonly redis: Redis;
  /** The keys' common start: `<prefix>send:`. */
  readonly base: string;
  #prefix: string;
  #maxAge: number;

  constructor(redis: Redis, prefix: string, maxAgeMs: number) {
    this.redis = redis;
    this.#prefix = prefix;
    this.base = `${prefix}send:`;
    this.#maxAge = maxAgeMs;
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 0, lua });
    }
  }

  #call(name: ScriptName, ...args: Array<string | number>): Promise<unknown> {
    const fn = (this.redis as unknown as Record<ScriptName, Call>)[name] as Call;
    return fn.call(this.redis, this.#prefix, this.#maxAge, ...args);
  }

  async enqueue(id: string, contactId: string, seq: number, json: string, uncertain: boolean): Promise<SendCounts> {
    return countsOf((await this.#call('ccsEnqueue', id, contactId, seq, json, uncertain ? '1' : '0')) as unknown[]);
  }

  async claim(token: string, sendRate: number, windowMs: number, leaseMs: number): Promise<SendClaim> {
    const reply = (await this.#call('ccsClaim', token, sendRate, windowMs, leaseMs)) as unknown[];
    const counts = countsOf(reply);
    if (Number(reply[0]) === 1) {
      return {
        kind: 'send',
        contactId: String(reply[1]),
        json: String(reply[2]),
        uncertain: Number(reply[3]) === 1,
        tooOld: Number(reply[4]) === 1,
        counts,
      };
    }
    const wait = Number(reply[1]);
    return { kind: 'wait', waitMs: wait < 0 ? undefined : wait, counts };
  }

  async settle(input: SendSettle): Promise<SendCounts> {
    const reply = (await this.#call(
      'ccsSettle',
      input.contactId,
      input.token,
      input.id,
      input.kind,
      input.json ?? '',
      input.providerMId ?? '',
      input.mapLimit,
      input.uncertain ? '1' : '0',
    )) as unknown[];
    return countsOf(reply);
  }

  async hold(contactId: string, token: string, leaseMs: number, on: boolean): Promise<void> {
    await this.#call('ccsHold', contactId, token, leaseMs, on ? '1' : '0');
  }

  async busy(contactId: string): Promise<boolean> {
    return Number(await this.#call('ccsBusy', contactId)) > 0;
  }

  async renew(
    leaseMs: number,
    held: ReadonlyArray<[kind: 'l' | 'h', contactId: string, token: string]>,
  ): Promise<void> {
    if (held.length > 0) await this.#call('ccsRenew', leaseMs, ...held.flat());
  }

  async nextSeq(): Promise<number> {
    return this.redis.incr(`${this.base}seq`);
  }

  async bridgeMIdOf(providerMId: string): Promise<string | undefined> {
    return (await this.redis.hget(`${this.base}map`, providerMId)) ?? undefined;
  }

  /** Raw sends of one hash, and the ids whose last try got no answer. */
  async entries(which: 'pending' | 'dead'): Promise<{ sends: string[]; uncertain: Set<string> }> {
    const [sends, uncertain] = await Promise.all([
      this.redis.hvals(`${this.base}${which}`),
      this.redis.smembers(`${this.base}uncertain`),
    ]);
    return { sends, uncertain: new Set(uncertain) };
  }

  /** The tries in flight on any instance (contact, lease token, send id) and the uncertain ids: what `settled` waits out. */
  async inFlight(): Promise<{ tries: Array<[contactId: string, token: string, id: string]>; uncertain: Set<string> }> {
    const [flat, uncertain] = (await this.#call('ccsInFlight')) as [string[], string[]];
    const tries: Array<[string, string, string]> = [];
    for (let i = 0; i + 2 < flat.length; i += 3) tries.push([flat[i], flat[i + 1], flat[i + 2]]);
    return { tries, uncertain: new Set(uncertain) };
  }

  /** Polls until none of the sends in flight or uncertain now is any more (or `ms` passed). */
  async settled(ms: number): Promise<void> {
    const until = performance.now() + ms;
    const before = await this.inFlight();
    const watched = new Set([...before.uncertain, ...before.tries.map(([, , id]) => id)]);
    watched.delete('');
    while (watched.size > 0 && performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const now = await this.inFlight();
      const open = new Set([...now.uncertain, ...now.tries.map(([, , id]) => id)]);
      if (![...watched].some((id) => open.has(id))) return;
    }
  }
}
