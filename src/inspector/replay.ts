/**
 * Replays a captured request (as captured, or edited) and sends composed messages the way
 * respond.io would. Secrets are put back in here, server side: the page only ever sees and
 * sends masked values or the `$TOKEN` placeholder.
 */
import { createHmac } from 'node:crypto';
import type { Exchange } from '../exchange.js';
import { parseJsonOrText } from '../lib/json-depth.js';
import { withTimeout } from '../lib/timeout.js';
import { maskHeaders, SECRET_HEADERS } from '../secrets.js';
import { absoluteUrl, bodyText } from './curl.js';
import type { ReplayRecord, ReplayRequest } from './types.js';

/** Headers fetch sets itself or that would lie about the new request. */
const DROP = new Set(['host', 'content-length', 'connection', 'accept-encoding', 'transfer-encoding', 'keep-alive']);

export interface SendDeps {
  fetch: typeof fetch;
  bridgeUrl?: string;
  /** The channel token (respond.io leg). */
  token(): string | undefined;
  /** Real values of secret headers for requests to the provider, e.g. `{ authorization: 'Bearer …' }`. */
  providerHeaders?(): Record<string, string> | undefined;
  /** Re-signs `X-Provider-Signature` on replayed provider callbacks (generic HTTP protocol). */
  providerWebhookSecret?(): string | undefined;
  timeoutMs: number;
}

export interface HttpResult {
  status: number;
  latencyMs: number;
  headers: Record<string, string>;
  body?: unknown;
  error?: string;
}

/** Does this header value still need the real secret (masked, or the `$TOKEN` placeholder)? */
function needsSecret(value: string): boolean {
  return value.includes('$TOKEN') || value.includes('…') || /\*\*\*\*/.test(value);
}

function realSecret(exchange: Exchange, name: string, value: string, deps: SendDeps): string | undefined {
  if (exchange.leg === 'provider' && exchange.direction === 'out') {
    const real = Object.entries(deps.providerHeaders?.() ?? {}).find(([key]) => key.toLowerCase() === name);
    if (real) return real[1];
  }
  const token = deps.token();
  if (!token) return undefined;
  return /^bearer\s/i.test(value) ? `Bearer ${token}` : token;
}

/** Sends one request with a timeout; never throws (a network failure is status 0). */
export async function sendHttp(
  deps: Pick<SendDeps, 'fetch' | 'timeoutMs'>,
  request: { method: string; url: string; headers: Record<string, string>; body?: string },
): Promise<HttpResult> {
  const started = performance.now();
  const deadline = withTimeout(undefined, deps.timeoutMs);
  try {
    const response = await deps.fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : request.body,
      signal: deadline.signal,
    });
    const raw = await response.text();
    // Not JSON (or too deep): shown as text.
    const body = raw === '' ? undefined : parseJsonOrText(raw);
    const headers = Object.fromEntries(response.headers.entries());
    return { status: response.status, latencyMs: Math.round(performance.now() - started), headers, body };
  } catch (error) {
    const why =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${deps.timeoutMs} ms`
        : String((error as Error).cause ?? error);
    return { status: 0, latencyMs: Math.round(performance.now() - started), headers: {}, error: why };
  } finally {
    deadline.clear();
  }
}

/**
 * Replays `original` with the edits in `edit`; returns the record to keep (headers masked).
 * @example await runReplay(captured, { seq: 7, body: { ...captured.requestBody, contactId: '+1555' } }, deps)
 */
export async function runReplay(
  original: Exchange,
  edit: ReplayRequest,
  deps: SendDeps,
): Promise<Omit<ReplayRecord, 'id'>> {
  const method = (edit.method ?? original.method).toUpperCase();
  const url = edit.url ?? original.url;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(edit.headers ?? original.requestHeaders ?? {})) {
    const key = name.toLowerCase();
    if (DROP.has(key)) continue;
    const secret = SECRET_HEADERS.has(key) || value.includes('$TOKEN');
    headers[key] = secret && needsSecret(value) ? (realSecret(original, key, value, deps) ?? value) : value;
  }
  const body = bodyText(edit.body !== undefined ? edit.body : original.requestBody);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const signing = deps.providerWebhookSecret?.();
  if (headers['x-provider-signature'] && signing && body !== undefined) {
    headers['x-provider-signature'] = `sha256=${createHmac('sha256', signing).update(body).digest('hex')}`;
  }
  const time = Date.now();
  const target = absoluteUrl({ url, direction: original.direction }, deps.bridgeUrl);
  const result = await sendHttp(deps, { method, url: target, headers, body });
  // Sent as text when it is not JSON.
  const requestBody = body === undefined ? undefined : parseJsonOrText(body);
  return {
    replayOf: edit.seq,
    time,
    leg: original.leg,
    direction: original.direction,
    method,
    url,
    status: result.status,
    latencyMs: result.latencyMs,
    requestHeaders: maskHeaders(headers),
    requestBody,
    responseHeaders: maskHeaders(result.headers),
    responseBody: result.body,
    contactId: original.contactId,
    messageType: original.messageType,
    mId: original.mId,
    error: result.error,
  };
}
