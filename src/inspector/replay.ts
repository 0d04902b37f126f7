/**
 * Replays a captured request (as captured, or edited) and sends composed messages the way
 * respond.io would. Secrets are put back in here, server side: the page only ever sees and
 * sends masked values or the `$TOKEN` placeholder. Where a replay may go and which secret
 * goes where: replay-secrets.ts.
 */
import { createHmac } from 'node:crypto';
import type { Exchange } from '../exchange.js';
import { parseJsonOrText } from '../lib/json-depth.js';
import { withTimeout } from '../lib/timeout.js';
import { maskHeaders } from '../secrets.js';
import { bodyText } from './curl.js';
import { headerWithSecret, remask, replayTarget, secretPlaces, secretsByMask, unmask } from './replay-secrets.js';
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
  /** Other secrets the inspector knows (provider keys, webhook secrets): put back where they were masked. */
  secrets?(): readonly (string | undefined)[];
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
  const token = deps.token();
  const known = secretsByMask([token, ...(deps.secrets?.() ?? []), ...Object.values(deps.providerHeaders?.() ?? {})]);
  const places = secretPlaces(original, known, token);
  const method = (edit.method ?? original.method).toUpperCase();
  const target = replayTarget(original, unmask(edit.url ?? original.url, places.url), deps.bridgeUrl);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(edit.headers ?? original.requestHeaders ?? {})) {
    const key = name.toLowerCase();
    if (DROP.has(key)) continue;
    headers[key] = headerWithSecret(key, value, places.headers.get(key));
  }
  const body = bodyText(edit.body !== undefined ? edit.body : original.requestBody);
  if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  // Only a provider callback the bridge received is signed by the provider: re-sign that one.
  const signing =
    original.leg === 'provider' && original.direction === 'in' ? deps.providerWebhookSecret?.() : undefined;
  if (headers['x-provider-signature'] && signing && body !== undefined) {
    headers['x-provider-signature'] = `sha256=${createHmac('sha256', signing).update(body).digest('hex')}`;
  }
  const time = Date.now();
  const used = [...places.url, ...[...places.headers.values()].flat()];
  const url = remask(edit.url ?? original.url, used);
  const result = await sendHttp(deps, { method, url: target.href, headers, body });
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
    requestHeaders: Object.fromEntries(Object.entries(maskHeaders(headers)).map(([k, v]) => [k, remask(v, used)])),
    requestBody,
    responseHeaders: maskHeaders(result.headers),
    responseBody: result.body,
    contactId: original.contactId,
    messageType: original.messageType,
    mId: original.mId,
    error: result.error,
  };
}
