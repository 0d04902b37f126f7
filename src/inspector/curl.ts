/**
 * "Copy as curl" for a captured exchange. Secret headers become a shell variable placeholder
 * (`$TOKEN`), so a copied command never carries a token and works once `TOKEN` is exported.
 * Pure and DOM-free: the page uses it as is.
 */
import type { Exchange } from '../exchange.js';

/** Header names whose values are secrets (kept in step with src/secrets.ts SECRET_HEADERS). */
const SECRET = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'cookie', 'set-cookie']);
/** Headers curl sets itself, or that would be wrong on a replayed request. */
const SKIP = new Set(['host', 'content-length', 'connection', 'accept-encoding', 'transfer-encoding', 'keep-alive']);

/** Quotes for a POSIX shell. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The value a secret header gets in a copied command. */
export function placeholderFor(value: string): string {
  return /^bearer\s/i.test(value) ? 'Bearer $TOKEN' : '$TOKEN';
}

/** The absolute URL of a captured request: `in` requests carry only their path. */
export function absoluteUrl(exchange: Pick<Exchange, 'url' | 'direction'>, bridgeUrl?: string): string {
  if (/^https?:\/\//.test(exchange.url)) return exchange.url;
  return `${(bridgeUrl ?? 'http://127.0.0.1:3000').replace(/\/+$/, '')}${exchange.url}`;
}

/** The request body as sent: JSON for objects, verbatim for strings. */
export function bodyText(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/**
 * A curl command that repeats the request.
 * @example buildCurl(exchange, 'http://127.0.0.1:3000')
 * // curl -X POST 'http://127.0.0.1:3000/message' -H 'authorization: Bearer $TOKEN' --data-raw '{...}'
 */
export function buildCurl(
  exchange: Pick<Exchange, 'method' | 'url' | 'direction' | 'requestHeaders' | 'requestBody'>,
  bridgeUrl?: string,
): string {
  const parts = ['curl', '-X', exchange.method, shellQuote(absoluteUrl(exchange, bridgeUrl))];
  for (const [name, value] of Object.entries(exchange.requestHeaders ?? {})) {
    if (SKIP.has(name.toLowerCase())) continue;
    // Double quotes let the shell expand $TOKEN; nothing else in the value is shell-active.
    if (SECRET.has(name.toLowerCase())) parts.push('-H', `"${name}: ${placeholderFor(value)}"`);
    else parts.push('-H', shellQuote(`${name}: ${value}`));
  }
  const body = bodyText(exchange.requestBody);
  if (body !== undefined) parts.push('--data-raw', shellQuote(body));
  return parts.join(' ');
}
