/**
 * Typed calls of the outbox's Lua scripts (scripts.ts) on an ioredis client: `EVALSHA`, with
 * ioredis loading the script again after a Redis restart (`NOSCRIPT`).
 */
import type { Redis } from 'ioredis';
import { CLAIM, ENQUEUE, PURGE, RENEW, REVIVE, SETTLE } from './scripts.js';

const SCRIPTS = {
  ccEnqueue: ENQUEUE,
  ccClaim: CLAIM,
  ccSettle: SETTLE,
  ccRenew: RENEW,
  ccRevive: REVIVE,
  ccPurge: PURGE,
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Call = (...args: Array<string | number>) => Promise<unknown>;

export type Claim =
  | {
      kind: 'batch';
      contactId: string;
      ids: string[];
      entries: string[];
      /** The contact's split state, `<limit>:<suspects>`, or '' when none. */
      split: string;
      pending: number;
      dead: number;
    }
  | { kind: 'wait'; waitMs: number | undefined; pending: number; dead: number };

export interface SettleInput {
  contactId: string;
  token: string;
  readyDelayMs: number;
  pauseMs: number;
  /** How long ago (ms, this instance's monotonic clock) respond.io answered the post. */
  answeredAgoMs?: number;
  /** The contact's split state to store (`<limit>:<suspects>`), '0' to drop it, undefined to keep it. */
  split?: string;
  done: string[];
  dead: Array<[id: string, json: string]>;
  updates: Array<[id: string, json: string]>;
}

/** The outbox's scripts bound to one client and key prefix. */
export class OutboxScripts {
  readonly redis: Redis;
  readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 0, lua });
    }
  }

  #call(name: ScriptName, ...args: Array<string | number>): Promise<unknown> {
    return ((this.redis as unknown as Record<ScriptName, Call>)[name] as Call).call(this.redis, this.prefix, ...args);
  }

  /** triples: [dedupe key, contactId, entry JSON without its opening brace]. One id per triple, '' for a duplicate. */
  async enqueue(
    triples: ReadonlyArray<[string, string, string]>,
    maxEvents: number,
    retentionMs: number,
    deadReason = '',
  ): Promise<string[]> {
    return (await this.#call(
      'ccEnqueue',
      maxEvents,
      Math.max(1, Math.round(retentionMs)),
      deadReason,
      triples.length,
      ...triples.flat(),
    )) as string[];
  }

  async claim(token: string, limit: number, windowMs: number, leaseMs: number, maxBatch: number): Promise<Claim> {
    const reply = (await this.#call('ccClaim', token, limit, windowMs, leaseMs, maxBatch)) as unknown[];
    const dead = Number(reply[reply.length - 1]);
    const pending = Number(reply[reply.length - 2]);
    if (Number(reply[0]) === 1) {
      return {
        kind: 'batch',
        contactId: String(reply[1]),
        ids: reply[2] as string[],
        entries: reply[3] as string[],
        split: String(reply[4] ?? ''),
        pending,
        dead,
      };
    }
    const wait = Number(reply[1]);
    return { kind: 'wait', waitMs: wait < 0 ? undefined : wait, pending, dead };
  }

  async settle(input: SettleInput): Promise<{ pending: number; dead: number }> {
    const [pending, dead] = (await this.#call(
      'ccSettle',
      input.contactId,
      input.token,
      Math.max(0, Math.round(input.readyDelayMs)),
      Math.max(0, Math.round(input.pauseMs)),
      input.split ?? '',
      input.done.length,
      input.dead.length,
      input.updates.length,
      Math.max(0, Math.round((input.answeredAgoMs ?? 0) * 10) / 10),
      ...input.done,
      ...input.dead.flat(),
      ...input.updates.flat(),
    )) as [number, number];
    return { pending: Number(pending), dead: Number(dead) };
  }

  async renew(leaseMs: number, held: ReadonlyArray<[contactId: string, token: string]>): Promise<number> {
    if (held.length === 0) return 0;
    return Number(await this.#call('ccRenew', leaseMs, ...held.flat()));
  }

  async revive(entries: ReadonlyArray<[id: string, contactId: string, json: string]>): Promise<number> {
    if (entries.length === 0) return 0;
    return Number(await this.#call('ccRevive', ...entries.flat()));
  }

  async purge(which: 'dead' | 'pending' | 'all'): Promise<number> {
    return Number(await this.#call('ccPurge', which));
  }

  /** Raw entries of one hash: 'E' pending, 'D' dead. */
  async entries(which: 'E' | 'D'): Promise<string[]> {
    return Object.values(await this.redis.hgetall(`${this.prefix}${which}`));
  }
}
