/**
 * The bridge's side of the send queue: each background try is `adapter.send` with the same
 * idempotency key, and respond.io hears the outcome under the mId it was given (`sent` once
 * the provider takes it, `failed` with the reason when the queue gives up), through the outbox.
 * Every step is also an exchange record (leg `queue`) for dev's console, `send` and the inspector.
 */
import { messageOf } from '../errors.js';
import type { Outbox } from '../outbox/types.js';
import type { QueuedSend, SendQueueHooks, SendResultOf, SendWorker } from '../send-queue/types.js';
import type { Adapter } from './adapter.js';
import { type ContextDeps, type ExchangeTags, feedOf } from './context.js';
import { attemptSend } from './send-attempt.js';

export type QueueStep = 'queued' | 'attempt' | 'sent' | 'failed';

/** Publishes one send-queue step as an exchange (leg `queue`), when anyone listens. */
export function publishQueueRecord(
  deps: Pick<ContextDeps, 'exchanges' | 'recording' | 'now'>,
  tags: ExchangeTags,
  step: QueueStep,
  attempts: number,
  detail: Record<string, unknown>,
  error?: string,
): void {
  const feed = feedOf(deps);
  if (!feed) return;
  const status = step === 'queued' ? 202 : step === 'sent' ? 200 : step === 'failed' ? 410 : 503;
  feed.publish({
    time: deps.now(),
    leg: 'queue',
    direction: 'out',
    method: step.toUpperCase(),
    url: 'send-queue',
    status,
    latencyMs: 0,
    requestHeaders: {},
    requestBody: { step, attempts, ...detail },
    ...tags,
    ...(error ? { error } : {}),
  });
}

export interface SendWorkerDeps extends ContextDeps {
  getAdapter: () => Promise<Adapter>;
  outbox: () => Outbox;
  /** How long one background try may take (default 10 s). */
  attemptTimeoutMs: number;
  /** Counts a retry of the provider send (every background try is one). */
  onProviderRetry?: (adapter: string) => void;
}

const tagsOf = (send: QueuedSend): ExchangeTags => ({
  contactId: send.contactId,
  messageType: send.input.message.type,
  mId: send.id,
});

/** The worker and hooks `SendQueue.start` takes. */
export function buildSendWorker(deps: SendWorkerDeps): { worker: SendWorker; hooks: SendQueueHooks } {
  const worker: SendWorker = async (send, signal) => {
    let adapter: Adapter;
    try {
      adapter = await deps.getAdapter();
    } catch (error) {
      return { ok: false, retry: true, error: `the adapter is not available: ${messageOf(error)}` };
    }
    deps.onProviderRetry?.(adapter.name);
    const outcome = await attemptSend(adapter, send.input, deps, deps.log, tagsOf(send), deps.attemptTimeoutMs, signal);
    if (outcome.ok) return { ok: true, providerMId: outcome.mId };
    if (!outcome.retry) return { ok: false, retry: false, error: outcome.error };
    return {
      ok: false,
      retry: true,
      error: outcome.error,
      retryAfterMs: outcome.retryAfterMs,
      ...(outcome.timedOut ? { uncertain: true } : {}),
    };
  };
  const status = (send: QueuedSend, value: 'sent' | 'failed', message?: string) =>
    deps.outbox().enqueue([
      {
        contactId: send.contactId,
        event: {
          type: 'message_status',
          mId: send.id,
          timestamp: deps.now(),
          status: message ? { value, message: message.slice(0, 1000) } : { value },
        },
      },
    ]);
  const hooks: SendQueueHooks = {
    onAttempt(send, result: SendResultOf, nextAt) {
      if (result.ok) return;
      publishQueueRecord(deps, tagsOf(send), 'attempt', send.attempts, nextAt ? { nextAt } : {}, result.error);
    },
    async onSent(send, providerMId) {
      publishQueueRecord(deps, tagsOf(send), 'sent', send.attempts, { providerMId, idempotencyKey: send.id });
      deps.log.info({ mId: send.id, providerMId, attempts: send.attempts }, 'queued message sent');
      await status(send, 'sent');
    },
    async onDead(send, reason) {
      deps.log.warn({ mId: send.id, attempts: send.attempts, reason }, 'queued message failed');
      await status(send, 'failed', reason);
      publishQueueRecord(deps, tagsOf(send), 'failed', send.attempts, { reason }, reason);
    },
  };
  return { worker, hooks };
}
