/** HTTP details of the provider stand-in: body parsing, route patterns, credential checks, encoding. */
import { assertJsonDepth } from '../lib/json-depth.js';
import { safeEqual } from '../secrets.js';
import type { StubRoute } from './manifest.js';

/** JSON -> value; form-urlencoded -> flat object; anything else -> the text. Throws JsonTooDeepError (400). */
export function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return undefined;
  if (/json/i.test(contentType ?? '')) {
    assertJsonDepth(raw);
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  if (/x-www-form-urlencoded/i.test(contentType ?? '')) return Object.fromEntries(new URLSearchParams(raw));
  return raw;
}

/** `/bot:token/sendMessage` -> a regex with named groups. */
export function routePattern(path: string): RegExp {
  const source = path
    .split(/(:[A-Za-z]+)/)
    .map((part) => (part.startsWith(':') ? `(?<${part.slice(1)}>[^/]+)` : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}/?$`);
}

/** Whether a call carries the credentials the route names (their values come from the stub's env). */
export function authorized(
  auth: StubRoute['auth'],
  headers: Readonly<Record<string, string | string[] | undefined>>,
  params: Record<string, string>,
  env: Record<string, string>,
): boolean {
  if (!auth) return true;
  if ('pathParam' in auth) return safeEqual(params[auth.pathParam] ?? '', env[auth.env] ?? '');
  if ('header' in auth) {
    const expected = env[auth.env] ?? '';
    return expected !== '' && safeEqual(String(headers[auth.header.toLowerCase()] ?? ''), expected);
  }
  const header = typeof headers.authorization === 'string' ? headers.authorization : undefined;
  if ('bearer' in auth) return safeEqual(header ?? '', `Bearer ${env[auth.bearer] ?? ''}`);
  const basic = Buffer.from(`${env[auth.basic.username] ?? ''}:${env[auth.basic.password] ?? ''}`).toString('base64');
  return safeEqual(header ?? '', `Basic ${basic}`);
}

/** Parses the named fields of a form body that hold JSON text, in place of the text (others untouched). */
export function parseJsonFields(body: unknown, fields: readonly string[]): unknown {
  if (fields.length === 0 || !body || typeof body !== 'object') return body;
  const out = { ...(body as Record<string, unknown>) };
  for (const field of fields) {
    if (typeof out[field] !== 'string') continue;
    try {
      out[field] = JSON.parse(out[field] as string);
    } catch {
      // Not JSON: left as text, and the route's dot paths find nothing in it.
    }
  }
  return out;
}

/** A callback body as JSON or form-urlencoded (null and undefined become empty fields). */
export function encodeBody(body: unknown, as: 'json' | 'form'): { text: string; type: string } {
  if (as === 'json') return { text: JSON.stringify(body), type: 'application/json' };
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    form.append(key, value === null || value === undefined ? '' : String(value));
  }
  return { text: form.toString(), type: 'application/x-www-form-urlencoded' };
}
