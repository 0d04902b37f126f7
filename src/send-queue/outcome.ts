/**
 * What one background try's result does to a queued send, the same for every store (file,
 * Redis): sent; given up (refused, or tried too often) with the reason respond.io is told; or
 * tried again after a backoff (the provider's Retry-After when it gave one, soon when the try
 * got no answer, its idempotency key making that safe).
 */
import { retryDelay } from '../bridge/provider-status.js';
import { type ResolvedQueueOptions, seconds } from './options.js';
import type { QueuedSend, SendResultOf } from './types.js';

export type SendOutcome =
  | { kind: 'sent'; providerMId: string }
  | { kind: 'dead'; reason: string }
  | { kind: 'retry'; delayMs: number; uncertain: boolean };

type Timing = Pick<ResolvedQueueOptions, 'maxAttempts' | 'backoff' | 'maxRetryAfterMs'>;

/**
 * `tries`: the store's background tries of this send, this one included (the backoff does not
 * count those made inside `/message`); `send.attempts` already counts this try.
 * @example planOutcome(send, { ok: false, retry: false, error: 'bad number' }, 1, o) // { kind: 'dead', reason: 'the provider refused it: bad number' }
 */
export function planOutcome(send: QueuedSend, result: SendResultOf, tries: number, o: Timing): SendOutcome {
  if (result.ok) return { kind: 'sent', providerMId: result.providerMId };
  if (!result.retry) return { kind: 'dead', reason: `the provider refused it: ${result.error}` };
  if (send.attempts >= o.maxAttempts) {
    return { kind: 'dead', reason: `not sent after ${send.attempts} tries; last error: ${result.error}` };
  }
  const uncertain = result.uncertain === true;
  const delayMs = uncertain
    ? Math.min(o.backoff.baseMs, 1000)
    : retryDelay(tries, result.retryAfterMs, { ...o.backoff, maxRetryAfterMs: o.maxRetryAfterMs });
  return { kind: 'retry', delayMs, uncertain };
}

/** Why a send that waited past `maxAgeMs` is given up. */
export function tooOldReason(send: QueuedSend, maxAgeMs: number): string {
  return `not sent within ${seconds(maxAgeMs)} (${send.attempts} tries); last error: ${send.lastError ?? 'none'}`;
}
