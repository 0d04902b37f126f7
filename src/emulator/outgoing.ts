/**
 * respond.io's outgoing flow: what a User, a Workflow, a Broadcast or the Developer API does.
 * `POST <apiBaseUrl>/message` with the channel token; 200 with a valid `mId` makes the message
 * `sent`, anything else `failed` with the reason.
 *
 * Emulator choices (respond.io documents none of them): the timeout is 10 s by default and
 * configurable; there is no automatic retry; any 2xx with a valid mId counts as success (a
 * non-200 2xx is stored as a warning); a broadcast is sent at 20 messages per second.
 */

import { contactIdProblem } from '../contract/ids.js';
import { MessageSuccessSchema } from '../contract/message-endpoint.js';
import type { Message } from '../contract/messages.js';
import type { Problem } from '../contract/problems.js';
import { validatePayload } from '../contract/validate.js';
import type { Exchange } from '../exchange.js';
import { parseJsonOrText } from '../lib/json-depth.js';
import { withTimeout } from '../lib/timeout.js';
import { maskHeaders } from '../secrets.js';
import type { EmulatorStore } from './store.js';
import type { EmulatorChannel, OutgoingMessageRecord } from './types.js';

let exchangeIds = 0;
/** Exchange ids of the emulator's records (both directions): unique within the process, increasing. */
export function nextExchangeId(): number {
  exchangeIds += 1;
  return exchangeIds;
}

/** A caller's mistake when starting a message: the HTTP layers answer `status`. */
export class EmulatorInputError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly problems: Problem[] = [],
  ) {
    super(message);
    this.name = 'EmulatorInputError';
  }
}

export interface OutgoingContext {
  store: EmulatorStore;
  fetch: typeof fetch;
  timeoutMs: number;
  strict: boolean;
  /** Aborted when the emulator closes: in-flight `/message` calls stop (and fail) at once. */
  closing: AbortSignal;
  /** Deliveries not settled yet (close waits for them after aborting). */
  inflight: Set<Promise<unknown>>;
}

export interface StartedMessage {
  record: OutgoingMessageRecord;
  /** Settles (never rejects) once the message is `sent` or `failed`. */
  done: Promise<OutgoingMessageRecord>;
}

/**
 * Checks the input, creates the `pending` record and starts the `/message` call.
 * @throws EmulatorInputError for an invalid message or contact
 */
export function startOutgoing(
  ctx: OutgoingContext,
  channel: EmulatorChannel,
  input: { contactId: string; message: Message; origin: OutgoingMessageRecord['origin']; broadcastId?: number },
): StartedMessage {
  const body = { channelId: channel.channelId, contactId: input.contactId, message: input.message };
  const checked = validatePayload(body, { kind: 'message', idType: channel.idType, strict: ctx.strict });
  if (!checked.valid) {
    throw new EmulatorInputError('the message is not one respond.io can send', 400, checked.errors);
  }
  if (channel.idType === 'custom' && !ctx.store.contact(channel.channelId, input.contactId)) {
    // Contract section 2 (A): only the Phone Number ID type lets the business write first.
    throw new EmulatorInputError(
      `contact ${JSON.stringify(input.contactId)} has not written yet; on a Custom ID channel the business cannot send the first message`,
      404,
    );
  }
  const record = ctx.store.createOutgoing(
    channel.channelId,
    input.contactId,
    input.message,
    input.origin,
    input.broadcastId,
  );
  record.warnings.push(...checked.warnings);
  const done = deliver(ctx, channel, record, body);
  ctx.inflight.add(done);
  done.finally(() => ctx.inflight.delete(done)).catch(() => undefined);
  return { record, done };
}

function fail(ctx: OutgoingContext, record: OutgoingMessageRecord, reason: string): OutgoingMessageRecord {
  ctx.store.transition(record, { value: 'failed', timestamp: ctx.store.now(), source: 'emulator', message: reason });
  return record;
}

function headersOf(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

async function deliver(
  ctx: OutgoingContext,
  channel: EmulatorChannel,
  record: OutgoingMessageRecord,
  body: { channelId: string; contactId: string; message: Message },
): Promise<OutgoingMessageRecord> {
  if (!channel.apiBaseUrl) {
    return fail(ctx, record, 'no API Base URL is set for this channel (respond.io would have nowhere to send)');
  }
  const url = `${channel.apiBaseUrl.replace(/\/+$/, '')}/message`;
  const headers = { authorization: `Bearer ${channel.token}`, 'content-type': 'application/json' };
  const started = ctx.store.now();
  const clock = performance.now();
  const exchange: Exchange = {
    id: nextExchangeId(),
    time: started,
    leg: 'respondio',
    direction: 'in',
    method: 'POST',
    url,
    status: 0,
    latencyMs: 0,
    requestHeaders: maskHeaders(headers),
    requestBody: body,
    contactId: body.contactId,
    messageType: body.message.type,
  };
  const ids = { channelId: channel.channelId, contactId: body.contactId, messageId: record.messageId };
  ctx.store.publish({ type: 'outgoing.request', ...ids, exchange });
  let status = 0;
  let responseHeaders: Record<string, string> | undefined;
  let responseBody: unknown;
  let error: string | undefined;
  const deadline = withTimeout(ctx.closing, ctx.timeoutMs);
  try {
    const res = await ctx.fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: deadline.signal,
    });
    status = res.status;
    responseHeaders = maskHeaders(headersOf(res.headers));
    const text = await res.text();
    responseBody = text === '' ? undefined : parseJsonOrText(text);
  } catch (caught) {
    const err = caught as Error;
    error = ctx.closing.aborted
      ? 'the emulator closed before an answer came'
      : err.name === 'TimeoutError' || err.name === 'AbortError'
        ? `no answer from ${url} within ${ctx.timeoutMs} ms (timeout)`
        : `cannot reach ${url}: ${String((err as { cause?: { message?: string } }).cause?.message ?? err.message)}`;
  } finally {
    deadline.clear();
  }
  const done: Exchange = {
    ...exchange,
    status,
    latencyMs: Math.round(performance.now() - clock),
    ...(responseHeaders ? { responseHeaders } : {}),
    responseBody,
  };
  if (error) done.error = error;
  const outcome = judge(status, responseBody, error);
  if (outcome.mId) done.mId = outcome.mId;
  if (outcome.error && !done.error) done.error = outcome.error;
  ctx.store.publish({
    type: 'outgoing.response',
    ...ids,
    ...(outcome.mId ? { mId: outcome.mId } : {}),
    exchange: done,
  });
  if (!outcome.mId) return fail(ctx, record, outcome.error ?? 'failed');
  if (status !== 200) {
    record.warnings.push({ path: '', message: `/message answered ${status}, not 200; treated as success` });
  }
  ctx.store.setMId(record, outcome.mId);
  ctx.store.transition(record, { value: 'sent', timestamp: ctx.store.now(), source: 'emulator' });
  return record;
}

/** The verdict on one `/message` answer. */
export function judge(status: number, body: unknown, error?: string): { mId?: string; error?: string } {
  if (error) return { error };
  const reason = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  if (status < 200 || status > 299) {
    return { error: typeof reason === 'string' && reason !== '' ? reason : `HTTP ${status} without an error.message` };
  }
  const parsed = MessageSuccessSchema.safeParse(body);
  if (parsed.success) return { mId: parsed.data.mId };
  const mId = (body as { mId?: unknown } | undefined)?.mId;
  if (mId === undefined) return { error: `HTTP ${status} without an mId` };
  if (typeof mId !== 'string') return { error: `HTTP ${status} with an mId that is not a string` };
  if (mId.length === 0) return { error: `HTTP ${status} with an empty mId` };
  if (mId.length > 50) return { error: `HTTP ${status} with an mId longer than 50 characters (${mId.length})` };
  return { error: `HTTP ${status} with an answer that is not {"mId": "..."}` };
}

/**
 * Starts one message per contact at `perSecond`, without waiting for one answer before the
 * next request; resolves with every record once all are settled.
 */
export async function runBroadcast(
  ctx: OutgoingContext,
  channel: EmulatorChannel,
  input: { contactIds: string[]; message: Message; broadcastId: number; perSecond: number },
): Promise<OutgoingMessageRecord[]> {
  const problems: Problem[] = [];
  input.contactIds.forEach((contactId, i) => {
    const reason = contactIdProblem(contactId, channel.idType);
    if (reason) problems.push({ path: `contactIds[${i}]`, message: reason });
    else if (channel.idType === 'custom' && !ctx.store.contact(channel.channelId, contactId)) {
      problems.push({
        path: `contactIds[${i}]`,
        message: 'has not written yet (Custom ID channels cannot write first)',
      });
    }
  });
  if (input.contactIds.length === 0) problems.push({ path: 'contactIds', message: 'must hold at least one contact' });
  if (problems.length > 0)
    throw new EmulatorInputError('the broadcast has recipients respond.io cannot send to', 400, problems);
  const gap = 1000 / Math.max(1, input.perSecond);
  const pending: Array<Promise<OutgoingMessageRecord>> = [];
  const first = performance.now();
  for (const [i, contactId] of input.contactIds.entries()) {
    const wait = first + i * gap - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(
      startOutgoing(ctx, channel, {
        contactId,
        message: input.message,
        origin: 'broadcast',
        broadcastId: input.broadcastId,
      }).done,
    );
  }
  return Promise.all(pending);
}
