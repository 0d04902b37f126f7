/**
 * Delivery of a batch of one contact's outbox events to respond.io's webhook (or the
 * emulator's): one POST whose `events` array holds them in order, classified for the outbox:
 * 2xx delivered; 429 (channel-wide pause, `Retry-After` honoured), 5xx, 408 and network errors
 * retried; any other 4xx a dead letter with the reason, naming the culprits when respond.io's
 * problem paths (`events[i]...`) point at some events of the batch.
 */
import type { ExchangeFeed } from '../exchange.js';
import { withTimeout } from '../lib/timeout.js';
import { parseRetryAfter } from '../outbox/backoff.js';
import type { Deliver, DeliveryResult } from '../outbox/types.js';
import { maskHeaders } from '../secrets.js';

export interface DeliverOptions {
  webhookUrl: string;
  channel: { channelId: string; token: string };
  fetch: typeof fetch;
  now: () => number;
  timeoutMs: number;
  exchanges?: ExchangeFeed;
  /** False while nobody listens to `exchanges`. */
  recording?: () => boolean;
}

function errorMessageOf(body: unknown, text: string): string {
  const error = (body as { error?: { message?: unknown } | string; message?: unknown } | undefined) ?? {};
  if (typeof error.error === 'string') return error.error;
  if (typeof error.error?.message === 'string') return error.error.message;
  if (typeof error.message === 'string') return error.message;
  return text.slice(0, 200);
}

/**
 * Indexes of the events that respond.io's 400 problems name (`events[2].mId: ...` -> 2).
 * @example culpritsOfProblems({ error: { problems: [{ path: 'events[1].mId' }] } }) // [1]
 */
export function culpritsOfProblems(body: unknown): number[] | undefined {
  const problems = (body as { error?: { problems?: unknown } } | undefined)?.error?.problems;
  if (!Array.isArray(problems)) return undefined;
  const found = new Set<number>();
  for (const problem of problems) {
    const path = (problem as { path?: unknown } | null)?.path;
    const match = typeof path === 'string' ? /^events\[(\d+)\]/.exec(path) : null;
    // A problem outside `events` (channelId, contactId, contact) concerns the whole post.
    if (!match) return undefined;
    found.add(Number(match[1]));
  }
  return found.size > 0 ? [...found] : undefined;
}

/** Builds the outbox's `deliver` for one channel. */
export function buildDeliver(options: DeliverOptions): Deliver {
  return async (batch, signal): Promise<DeliveryResult> => {
    // The outbox batches events of one contact with the same contact details.
    const { item } = batch[0];
    const body: Record<string, unknown> = {
      channelId: options.channel.channelId,
      contactId: item.contactId,
      events: batch.map((entry) => entry.item.event),
    };
    if (item.contact !== undefined) body.contact = item.contact;
    const headers = {
      authorization: `Bearer ${options.channel.token}`,
      'content-type': 'application/json',
    };
    const time = options.now();
    const started = performance.now();
    const event = item.event;
    const feed = options.recording?.() === false ? undefined : options.exchanges;
    const record = (status: number, extra: Record<string, unknown>) =>
      feed?.publish({
        time,
        leg: 'respondio',
        direction: 'out',
        method: 'POST',
        url: options.webhookUrl,
        status,
        latencyMs: performance.now() - started,
        requestHeaders: maskHeaders(headers),
        requestBody: body,
        contactId: item.contactId,
        mId: event.mId,
        messageType: event.type === 'message_status' ? `status:${event.status.value}` : event.message.type,
        ...extra,
      });
    let response: Response;
    let text: string;
    const deadline = withTimeout(signal, options.timeoutMs);
    try {
      response = await options.fetch(options.webhookUrl, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: deadline.signal,
      });
      text = await response.text();
    } catch (error) {
      const message = `respond.io unreachable: ${(error as Error).message}`;
      record(0, { error: message });
      return { ok: false, retry: true, error: message };
    } finally {
      deadline.clear();
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    const responseHeaders = Object.fromEntries(response.headers);
    const status = response.status;
    if (status >= 200 && status < 300) {
      record(status, { responseHeaders, responseBody: parsed });
      return { ok: true };
    }
    const error = `respond.io answered ${status}: ${errorMessageOf(parsed, text)}`;
    record(status, { responseHeaders, responseBody: parsed, error });
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), options.now());
      return { ok: false, retry: true, error, retryAfterMs, channelWide: true };
    }
    if (status >= 500 || status === 408) return { ok: false, retry: true, error };
    const culprits = status === 400 && batch.length > 1 ? culpritsOfProblems(parsed) : undefined;
    return culprits ? { ok: false, retry: false, error, culprits } : { ok: false, retry: false, error };
  };
}
