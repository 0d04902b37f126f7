/**
 * What one delivery result does to a batch, decided here (pure) and applied atomically by the
 * settle script: delivered events are dropped; a retryable failure keeps the batch at the head
 * of its contact's queue for later (Retry-After honoured, capped; a 429 pauses the channel for
 * every instance); a rejected batch dead-letters the culprits respond.io named, or, when it
 * named none, is split (the contact's batch size is halved) until the bad event is alone.
 */
import { backoffDelay } from '../backoff.js';
import type { DeliveryResult, OutboxEntry } from '../types.js';
import type { SettleInput } from './commands.js';
import type { ResolvedRedisOptions } from './options.js';

export type SettlePlan = Omit<SettleInput, 'contactId' | 'token'>;

function deadJson(entry: OutboxEntry, reason: string, at: number): string {
  return JSON.stringify({ ...entry, reason, deadAt: at });
}

/**
 * @example planSettle(batch, { ok: true }, Date.now(), options).done // every id of the batch
 */
export function planSettle(
  batch: readonly OutboxEntry[],
  result: DeliveryResult,
  now: number,
  o: Pick<ResolvedRedisOptions, 'backoff' | 'giveUpAfterMs' | 'maxRetryAfterMs' | 'random'>,
): SettlePlan {
  const plan: SettlePlan = { readyDelayMs: 0, pauseMs: 0, done: [], dead: [], updates: [] };
  if (result.ok) {
    plan.done = batch.map((entry) => entry.id);
    return plan;
  }
  if (result.retry) {
    const attempts = Math.max(...batch.map((entry) => entry.attempts));
    const asked = result.retryAfterMs;
    const delay =
      asked !== undefined && Number.isFinite(asked)
        ? Math.min(Math.max(0, asked), o.maxRetryAfterMs)
        : backoffDelay(attempts, o.backoff, o.random);
    plan.readyDelayMs = delay;
    if (result.channelWide) plan.pauseMs = delay;
    for (const entry of batch) {
      if (now - entry.enqueuedAt >= o.giveUpAfterMs) {
        plan.dead.push([entry.id, deadJson(entry, `gave up after ${entry.attempts} attempts: ${result.error}`, now)]);
      } else {
        plan.updates.push([entry.id, JSON.stringify({ ...entry, lastError: result.error })]);
      }
    }
    return plan;
  }
  const culprits = [...new Set(result.culprits ?? [])].filter((i) => Number.isInteger(i) && i >= 0 && i < batch.length);
  if (batch.length === 1 || culprits.length > 0) {
    const bad = batch.length === 1 ? [0] : culprits;
    for (const index of bad) plan.dead.push([batch[index].id, deadJson(batch[index], result.error, now)]);
    if (batch.length === 1) plan.cap = 0;
    for (const [index, entry] of batch.entries()) {
      if (!bad.includes(index)) plan.updates.push([entry.id, JSON.stringify(entry)]);
    }
    return plan;
  }
  // Nobody named: halve the batch and try again at once, down to one event.
  plan.cap = Math.ceil(batch.length / 2);
  for (const entry of batch) plan.updates.push([entry.id, JSON.stringify({ ...entry, lastError: result.error })]);
  return plan;
}
