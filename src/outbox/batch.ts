/**
 * Coalesced delivery, as pure functions any outbox can share (file journal, Redis): how many of
 * a contact's waiting events the next post may carry, and what a rejection of a batch means.
 *
 * A non-retryable rejection of a batch of more than one event must not sink the others:
 * - respond.io named the culprits (400 problem paths `events[i]...`): only those become dead
 *   letters, the rest go again at once;
 * - nobody was named: the batch is split in halves, and the events it held ("suspects") are
 *   sent in halves (then quarters, down to one) until they are all past, so a single bad event
 *   ends up alone and only it is dead-lettered.
 */
import type { DeliveryResult } from './types.js';

/** Per-contact batching state; `{ limit: maxBatch, suspects: 0 }` when nothing was rejected. */
export interface SplitState {
  /** At most this many events in the next post. */
  limit: number;
  /** Events at the head of the queue still to pass with the reduced limit. */
  suspects: number;
}

export const freshSplit = (maxBatch: number): SplitState => ({ limit: maxBatch, suspects: 0 });

/** How many of `waiting` events the next post takes. */
export function batchSize(state: SplitState, waiting: number, maxBatch: number): number {
  const limit = state.suspects > 0 ? Math.min(state.limit, maxBatch) : maxBatch;
  return Math.max(0, Math.min(limit, waiting));
}

/** Valid culprit indexes of a batch of `size`, sorted and unique; undefined when none are usable. */
export function culpritsOf(culprits: readonly number[] | undefined, size: number): number[] | undefined {
  if (!culprits) return undefined;
  const valid = [...new Set(culprits.filter((i) => Number.isInteger(i) && i >= 0 && i < size))].sort((a, b) => a - b);
  return valid.length > 0 ? valid : undefined;
}

export interface Outcome {
  /** Indexes of the batch that are delivered (removed from the queue). */
  delivered: number[];
  /** Indexes that become dead letters, with the result's error as reason. */
  dead: number[];
  /** Indexes that stay at the head of the queue and go again (after `backoff` when true). */
  again: number[];
  /** True: wait before the next attempt (retryable failure); false: go again at once. */
  backoff: boolean;
  split: SplitState;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * What a delivery result means for the batch of `size` events that was posted.
 * @example settleBatch(3, { ok: false, retry: false, error: '400', culprits: [1] }, freshSplit(10), 10)
 *   // { delivered: [], dead: [1], again: [0, 2], backoff: false, ... }
 */
export function settleBatch(size: number, result: DeliveryResult, split: SplitState, maxBatch: number): Outcome {
  const all = range(size);
  const passed = (n: number): SplitState =>
    split.suspects - n > 0 ? { limit: split.limit, suspects: split.suspects - n } : freshSplit(maxBatch);
  if (result.ok) return { delivered: all, dead: [], again: [], backoff: false, split: passed(size) };
  if (result.retry) return { delivered: [], dead: [], again: all, backoff: true, split };
  if (size === 1) return { delivered: [], dead: [0], again: [], backoff: false, split: passed(1) };
  const culprits = culpritsOf(result.culprits, size);
  if (culprits) {
    const again = all.filter((i) => !culprits.includes(i));
    // The others were not judged: they go again, still as suspects if they were.
    const next =
      split.suspects > 0 ? { limit: split.limit, suspects: Math.max(0, split.suspects - culprits.length) } : split;
    return {
      delivered: [],
      dead: culprits,
      again,
      backoff: false,
      split: next.suspects > 0 ? next : freshSplit(maxBatch),
    };
  }
  return {
    delivered: [],
    dead: [],
    again: all,
    backoff: false,
    split: { limit: Math.ceil(size / 2), suspects: Math.max(size, split.suspects) },
  };
}
