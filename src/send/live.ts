/**
 * `send --live`: start the message from respond.io through the Developer API v2 and poll its
 * status history. Works against api.respond.io and against the emulator's `/v2`.
 */

import type { StatusValue } from '../contract/constants.js';
import { DevApiErrorSchema, DevApiMessageSchema, DevApiSendResponseSchema } from '../contract/developer-api.js';
import type { Message } from '../contract/messages.js';
import { CliError } from '../errors.js';
import { analyzeStatuses, type StatusObservation } from './statuses.js';
import type { Hop, Timeline } from './timeline.js';

export interface LiveSendOptions {
  /** Developer API base, e.g. `https://api.respond.io/v2` or `<emulator>/v2`. */
  baseUrl: string;
  /** Developer API access token (not the channel token). */
  apiToken: string;
  /** Numeric channel ID of the Developer API; omitted: the contact's last interacted channel. */
  channelId?: number | null;
  /** `+60…`, `email:…`, `id:123` or `phone:+60…`. */
  to: string;
  message: Message;
  expect: StatusValue[];
  timeoutMs: number;
  pollMs?: number;
  fetch?: typeof fetch;
  onHop?(hop: Hop): void;
}

export interface LiveSendResult extends Timeline {
  messageId: number;
  polls: number;
}

/**
 * The Developer API contact identifier for a `--to` value. Bare digits are a phone number
 * without its "+", as respond.io's MCP server reads them; a contact id needs `id:`.
 * @example contactIdentifier('60177872890') // 'phone:+60177872890'
 */
export function contactIdentifier(to: string): string {
  if (/^(id|email|phone):/.test(to)) return to;
  if (to.startsWith('+')) return `phone:${to}`;
  if (to.includes('@')) return `email:${to}`;
  if (/^\d+$/.test(to)) return `phone:+${to}`;
  throw new CliError(`--to ${JSON.stringify(to)}: not a Developer API contact identifier`, {
    hint: 'use a phone number (+60177872890), an email, id:<number> or phone:<E.164>',
  });
}

async function call(
  doFetch: typeof fetch,
  url: string,
  token: string,
  init: { method: string; body?: unknown },
): Promise<{ status: number; body: unknown; retryAfterMs?: number }> {
  let res: Response;
  try {
    res = await doFetch(url, {
      method: init.method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch (error) {
    throw new CliError(`cannot reach the Developer API at ${url}: ${(error as Error).cause ?? error}`, {
      hint: 'check dev-api-url (`custom-channel config get dev-api-url`)',
    });
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Kept as text for the error message.
  }
  const retry = Number(res.headers.get('retry-after'));
  return { status: res.status, body, retryAfterMs: Number.isFinite(retry) && retry > 0 ? retry * 1000 : undefined };
}

function apiError(what: string, status: number, body: unknown): CliError {
  const parsed = DevApiErrorSchema.safeParse(body);
  const why = parsed.success ? parsed.data.message : JSON.stringify(body).slice(0, 120);
  const hint = status === 401 ? 'check dev-api-token (a Developer API access token, not the channel token)' : undefined;
  return new CliError(`Developer API ${what}: ${status} ${why}`, { hint });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends through the Developer API and follows the message until the expected statuses arrive,
 * a failure ends it, or the time is up.
 */
export async function runLiveSend(options: LiveSendOptions): Promise<LiveSendResult> {
  const doFetch = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/+$/, '');
  const contact = encodeURIComponent(contactIdentifier(options.to));
  const startedAt = Date.now();
  const t0 = performance.now();
  const sent = await call(doFetch, `${base}/contact/${contact}/message`, options.apiToken, {
    method: 'POST',
    body:
      options.channelId == null
        ? { message: options.message }
        : { channelId: options.channelId, message: options.message },
  });
  if (sent.status !== 200) throw apiError('send', sent.status, sent.body);
  const parsed = DevApiSendResponseSchema.safeParse(sent.body);
  if (!parsed.success) throw apiError('send answered an unexpected body', sent.status, sent.body);
  const { messageId } = parsed.data;
  const hops: Hop[] = [];
  const addHop = (hop: Hop) => {
    hops.push(hop);
    options.onHop?.(hop);
  };
  addHop({
    at: 0,
    from: 'you',
    to: 'respond.io',
    label: `POST /contact/…/message (${options.message.type})`,
    status: sent.status,
    latencyMs: performance.now() - t0,
    ok: true,
    detail: `messageId ${messageId}`,
  });

  let statuses: StatusObservation[] = [];
  let mId: string | undefined;
  let polls = 0;
  const deadline = t0 + options.timeoutMs;
  for (;;) {
    const got = await call(doFetch, `${base}/contact/${contact}/message/${messageId}`, options.apiToken, {
      method: 'GET',
    });
    polls += 1;
    if (got.status === 200) {
      const message = DevApiMessageSchema.safeParse(got.body);
      if (!message.success) throw apiError('message answered an unexpected body', got.status, got.body);
      const channelMessageId = message.data.channelMessageId;
      mId =
        channelMessageId === null || channelMessageId === undefined || channelMessageId === ''
          ? undefined
          : String(channelMessageId);
      const fresh = (message.data.status ?? [])
        .filter((s) => s.value !== 'pending')
        .map(
          (s, i): StatusObservation => ({
            value: s.value as StatusValue,
            at: s.timestamp,
            message: s.message,
            source: i === 0 && s.value === 'sent' ? 'response' : 'callback',
          }),
        );
      for (const [i, status] of fresh.entries()) {
        if (i < statuses.length) continue;
        // The provider's own "sent" receipt repeats what /message's answer already said.
        if (status.value === 'sent' && fresh.slice(0, i).some((s) => s.value === 'sent')) continue;
        addHop({
          at: status.at - startedAt,
          from: 'bridge',
          to: 'respond.io',
          label: `status ${status.value} (polled)`,
          status: 200,
          latencyMs: 0,
          ok: status.value !== 'failed',
          detail: status.message,
        });
      }
      statuses = fresh;
      const analysis = analyzeStatuses(statuses, options.expect);
      if (analysis.ok || statuses.some((s) => s.value === 'failed')) break;
    } else if (got.status !== 429 && got.status !== 404) {
      throw apiError('status poll', got.status, got.body);
    }
    if (performance.now() >= deadline) break;
    await sleep(Math.min(got.retryAfterMs ?? options.pollMs ?? 200, Math.max(0, deadline - performance.now())));
  }
  const last = statuses.at(-1)?.at;
  return {
    startedAt,
    mId,
    messageId,
    polls,
    hops,
    statuses,
    analysis: analyzeStatuses(statuses, options.expect),
    totalMs: last ? last - startedAt : performance.now() - t0,
  };
}
