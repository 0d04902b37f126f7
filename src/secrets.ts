/**
 * Secrets handling in one place: masking for output and logs, constant-time comparison,
 * owner-only files.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { writeFileAtomic } from './lib/atomic-write.js';

/**
 * Shows enough of a secret to recognise it and no more.
 * @example maskSecret('46charTokenABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789') // '46ch…89'
 */
export function maskSecret(secret: string | undefined): string {
  if (!secret) return '';
  if (secret.length < 12) return '****';
  return `${secret.slice(0, 4)}…${secret.slice(-2)}`;
}

/** Constant-time string equality (length leaks, content does not). */
export function safeEqual(a: string, b: string): boolean {
  return equalBytes(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function equalBytes(given: Buffer, expected: Buffer): boolean {
  if (given.length !== expected.length) {
    // Still spend the time of a comparison so a wrong length answers like a wrong token.
    timingSafeEqual(given, given);
    return false;
  }
  return timingSafeEqual(given, expected);
}

/**
 * `safeEqual` against one fixed secret, its bytes made once (checked on every request).
 * @example const isToken = secretMatcher(token); isToken(bearerToken(header) ?? '')
 */
export function secretMatcher(secret: string): (candidate: string) => boolean {
  const expected = Buffer.from(secret, 'utf8');
  return (candidate) => equalBytes(Buffer.from(candidate, 'utf8'), expected);
}

/**
 * Whether an `Authorization` header is `Bearer <secret>` written exactly so (the usual form),
 * in constant time over its UTF-16 code units: no Buffer per request, no regex. A header in
 * another form (`bearer`, two spaces) is not this; check it with `bearerToken` and
 * `secretMatcher`. Time depends on the header's length, never on its content.
 * @example const isUsual = bearerHeaderMatcher(token); isUsual(request.headers.authorization)
 */
export function bearerHeaderMatcher(secret: string): (header: string | undefined) => boolean {
  const expected = `Bearer ${secret}`;
  const n = expected.length;
  return (header) => {
    if (typeof header !== 'string') return false;
    // Every code unit is compared, whatever differs first; past the end of a shorter header
    // charCodeAt is NaN, which `^` reads as 0 (the lengths differ already).
    let diff = header.length ^ n;
    for (let i = 0; i < n; i += 1) diff |= header.charCodeAt(i) ^ expected.charCodeAt(i);
    return diff === 0;
  };
}

/**
 * An `Authorization` header's Bearer token against one fixed secret: 'ok', 'missing' (no
 * Bearer token in it) or 'invalid'. The usual form is checked by `bearerHeaderMatcher` in one
 * pass; any other is parsed by `bearerToken` and compared by `secretMatcher`, both in constant time.
 * @example const check = bearerChecker(token); check(request.headers.authorization) // 'ok'
 */
export function bearerChecker(secret: string): (header: string | undefined) => 'ok' | 'missing' | 'invalid' {
  const isUsual = bearerHeaderMatcher(secret);
  const isToken = secretMatcher(secret);
  return (header) => {
    if (isUsual(header)) return 'ok';
    const token = bearerToken(header);
    if (!token) return 'missing';
    return isToken(token) ? 'ok' : 'invalid';
  };
}

/**
 * The token of an `Authorization: Bearer <token>` header, or `undefined` when missing or malformed.
 * @example bearerToken('Bearer abc') // 'abc'
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match ? match[1] : undefined;
}

/** A random token of respond.io's API-token shape (46 URL-safe characters). */
export function generateToken(length = 46): string {
  return randomBytes(length).toString('base64url').slice(0, length);
}

/** Header names whose values are secrets, lower-case. */
export const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  // Gupshup's API key header.
  'apikey',
  'cookie',
  'set-cookie',
]);

/** A copy of headers with secret values masked (Bearer scheme kept visible). */
export function maskHeaders(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    if (!SECRET_HEADERS.has(name.toLowerCase())) out[name] = text;
    else {
      const bearer = bearerToken(text);
      out[name] = bearer ? `Bearer ${maskSecret(bearer)}` : maskSecret(text);
    }
  }
  return out;
}

/** Writes a file readable by the owner only (0600), atomically (unique temp, fsync, rename), creating its folder (0700). */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  await writeFileAtomic(path, content, 0o600);
}
