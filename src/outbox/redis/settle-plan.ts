/**
 * What one delivery result does to a batch, decided here (pure; the batch rules are the file
 * outbox's, batch.ts) and applied atomically by the settle script: delivered events are
 * dropped; a retryable failure keeps the batch at the head of its contact's queue for later
 * (Retry-After honoured up to a cap; a 429 pauses the channel for every instance); a rejected
 * batch dead-letters the culprits respond.io named, or, when it named none, is split.
 */
import { backoffDelay } from '../backoff.js';
import { freshSplit, type SplitState, settleBatch } from '../batch.js';
import type { DeliveryResult, OutboxEntry } from '../types.js';
import type { SettleInput } from './commands.js';
import type { ResolvedRedisOptions } from './options.js';

export type SettlePlan = Omit<SettleInput, 'contactId' | 'token'>;

/** `<limit>:<suspects>` as stored in Redis; fresh when absent or unreadable. */
export function parseSplit(text: string, maxBatch: number): SplitState {
  const match = /^(\d+):(\d+)$/.exec(text);
  return match ? { limit: Number(match[1]), suspects: Number(match[2]) } : freshSplit(maxBatch);
}

/**
 * @example planSettle(batch, { ok: true }, '', Date.now(), options).done // every id of the batch
 */
export function planSettle(
  batch: readonly OutboxEntry[],
  result: DeliveryResult,
  split: string,
  now: number,
  o: Pick<ResolvedRedisOptions, 'backoff' | 'giveUpAfterMs' | 'maxRetryAfterMs' | 'maxBatch' | 'random'>,
): SettlePlan {
  const outcome = settleBatch(batch.length, result, parseSplit(split, o.maxBatch), o.maxBatch);
  const plan: SettlePlan = {
    readyDelayMs: 0,
    pauseMs: 0,
    split: outcome.split.suspects > 0 ? `${outcome.split.limit}:${outcome.split.suspects}` : '0',
    done: outcome.delivered.map((i) => batch[i].id),
    dead: [],
    updates: [],
  };
  const error = result.ok ? '' : result.error;
  for (const i of outcome.dead)
    plan.dead.push([batch[i].id, JSON.stringify({ ...batch[i], reason: error, deadAt: now })]);
  if (!result.ok && result.retry) {
    const attempts = Math.max(...batch.map((entry) => entry.attempts));
    const asked = result.retryAfterMs;
    plan.readyDelayMs =
      asked !== undefined && Number.isFinite(asked)
        ? Math.min(Math.max(0, asked), o.maxRetryAfterMs)
        : backoffDelay(attempts, o.backoff, o.random);
    if (result.channelWide) plan.pauseMs = plan.readyDelayMs;
  }
  for (const i of outcome.again) {
    const entry = batch[i];
    if (outcome.backoff && now - entry.enqueuedAt >= o.giveUpAfterMs) {
      const reason = `gave up after ${entry.attempts} attempts: ${error}`;
      plan.dead.push([entry.id, JSON.stringify({ ...entry, reason, deadAt: now })]);
    } else {
      plan.updates.push([entry.id, JSON.stringify(error ? { ...entry, lastError: error } : entry)]);
    }
  }
  return plan;
}
