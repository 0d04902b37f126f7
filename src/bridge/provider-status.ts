/**
 * Telling a provider's refusal from a blip. Adapters call `throwForProviderStatus` on the
 * responses `ctx.fetch` gives them; the bridge also sees those responses itself, so a plain
 * `Error` thrown right after a 429/5xx or a network failure is still retried.
 */
import { backoffDelay, parseRetryAfter } from '../outbox/backoff.js';
import { AdapterError, RetryableError } from './adapter.js';

export type ProviderVerdict =
  | { kind: 'ok' }
  /** 408, 425, 429 or 5xx: may pass later; `retryAfterMs` from the provider's `Retry-After`. */
  | { kind: 'retry'; retryAfterMs?: number }
  /** Any other non-2xx: the provider will not take this message. */
  | { kind: 'refuse' };

const RETRYABLE = new Set([408, 425, 429]);

/** True for an HTTP status worth another try. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE.has(status) || status >= 500;
}

/**
 * What a provider response means for the message.
 * @example classifyProviderResponse(new Response('', { status: 429, headers: { 'retry-after': '2' } })) // { kind: 'retry', retryAfterMs: 2000 }
 */
export function classifyProviderResponse(
  response: { status: number; headers: { get(name: string): string | null } },
  now: number = Date.now(),
): ProviderVerdict {
  if (response.status >= 200 && response.status < 400) return { kind: 'ok' };
  if (!isRetryableStatus(response.status)) return { kind: 'refuse' };
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now);
  return retryAfterMs === undefined ? { kind: 'retry' } : { kind: 'retry', retryAfterMs };
}

/**
 * Returns the response when it is a success; otherwise throws `RetryableError` (408, 425, 429,
 * 5xx, honouring `Retry-After`) or `AdapterError` (other 4xx: respond.io gets the error at
 * once). A provider 401/403 (our API key) becomes a 400 so respond.io does not read it as its
 * own token being wrong.
 * @example const res = throwForProviderStatus(await ctx.fetch(url, init), 'acme')
 */
export function throwForProviderStatus<T extends { status: number; headers: { get(name: string): string | null } }>(
  response: T,
  detail?: string,
): T {
  const verdict = classifyProviderResponse(response);
  if (verdict.kind === 'ok') return response;
  const message = `provider answered ${response.status}${detail ? `: ${detail}` : ''}`;
  if (verdict.kind === 'retry') {
    throw new RetryableError(message, { retryAfterMs: verdict.retryAfterMs, status: response.status });
  }
  throw new AdapterError(message, response.status === 401 || response.status === 403 ? 400 : response.status);
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** A failure to reach the provider at all (refused, reset, DNS, fetch's "fetch failed"). */
export function isNetworkError(error: unknown): boolean {
  for (
    let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth++
  ) {
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
    if (e instanceof TypeError && e.message === 'fetch failed') return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** How long to wait before try number `attempt + 1`, honouring a provider's wish (capped). */
export function retryDelay(
  attempt: number,
  retryAfterMs: number | undefined,
  options: { baseMs: number; maxMs: number; maxRetryAfterMs: number },
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, options.maxRetryAfterMs);
  return backoffDelay(attempt, { baseMs: options.baseMs, maxMs: options.maxMs });
}
