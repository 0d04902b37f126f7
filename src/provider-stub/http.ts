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
  header: string | undefined,
  params: Record<string, string>,
  env: Record<string, string>,
): boolean {
  if (!auth) return true;
  if ('pathParam' in auth) return safeEqual(params[auth.pathParam] ?? '', env[auth.env] ?? '');
  if ('bearer' in auth) return safeEqual(header ?? '', `Bearer ${env[auth.bearer] ?? ''}`);
  const basic = Buffer.from(`${env[auth.basic.username] ?? ''}:${env[auth.basic.password] ?? ''}`).toString('base64');
  return safeEqual(header ?? '', `Basic ${basic}`);
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
