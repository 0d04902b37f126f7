/**
 * The inspector's session secret (as Jupyter's token): `dev` prints the page's URL with
 * `?token=<secret>`; the page that URL opens gets the secret as an HttpOnly, SameSite=Strict
 * cookie, so its fetches and its event stream carry it; programs send `X-Inspector-Token`
 * (or `Authorization: Bearer`). Compared in constant time; never logged (the inspector logs nothing).
 */
import { createHash, randomBytes } from 'node:crypto';
import { bearerToken, safeEqual } from '../secrets.js';

/** The header programs (send, simulate, tests) put the secret in. */
export const INSPECTOR_TOKEN_HEADER = 'x-inspector-token';

/** 32 random bytes, URL-safe. */
export function generateSessionSecret(): string {
  return randomBytes(32).toString('base64url');
}

interface AuthRequest {
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function queryToken(url: string): string | undefined {
  const query = url.indexOf('?');
  return query === -1 ? undefined : (new URLSearchParams(url.slice(query + 1)).get('token') ?? undefined);
}

/**
 * Checks requests against `secret`.
 * @example const auth = buildSessionAuth(secret); if (!auth.allows(request)) reply.code(401)
 */
export function buildSessionAuth(secret: string) {
  // Cookies ignore ports: a name per secret keeps two inspectors on one machine apart.
  const name = `cc_inspector_${createHash('sha256').update(secret).digest('hex').slice(0, 10)}`;
  const matches = (value: string | undefined) => value !== undefined && safeEqual(value, secret);
  return {
    cookieName: name,
    refusal:
      'the inspector needs its session token: open the URL `dev` printed (…/?token=…), or send the X-Inspector-Token header',
    allows(request: AuthRequest): boolean {
      return (
        matches(first(request.headers[INSPECTOR_TOKEN_HEADER])) ||
        matches(bearerToken(first(request.headers.authorization))) ||
        matches(cookieValue(first(request.headers.cookie), name)) ||
        matches(queryToken(request.url))
      );
    },
    /** The Set-Cookie value when the request's `?token=` is the secret, else undefined. */
    cookieFor(request: AuthRequest): string | undefined {
      if (!matches(queryToken(request.url))) return undefined;
      return `${name}=${secret}; Path=/; HttpOnly; SameSite=Strict`;
    },
  };
}
