/**
 * The inspector's one guarantee about secrets: nothing it stores, serves or streams holds a
 * token. Every entry passes through a scrubber before it enters history: secret header values
 * are masked, and any string that contains a known secret gets it masked wherever it sits.
 */
import { maskHeaders, maskSecret, SECRET_HEADERS } from '../secrets.js';

/** Secrets shorter than this are not searched for inside strings (too many false hits). */
const MIN_SECRET = 6;

export type Scrubber = <T>(value: T) => T;

/**
 * A scrubber over the secrets `secrets()` returns at call time (tokens can change while running).
 * @example buildScrubber(() => [token])({ note: `Bearer ${token}` }) // { note: 'Bearer abcd…yz' }
 */
export function buildScrubber(secrets: () => readonly (string | undefined)[]): Scrubber {
  return <T>(value: T): T => {
    const known = secrets().filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET);
    return walk(value, known, 0) as T;
  };
}

/** Already masked by whoever recorded it (masking twice would hide the recognisable part). */
function isMasked(value: string | unknown[]): boolean {
  const text = String(value);
  return text.includes('…') || text.includes('****') || text.includes('$TOKEN');
}

function walk(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') {
    let out = value;
    for (const secret of secrets) if (out.includes(secret)) out = out.replaceAll(secret, maskSecret(secret));
    return out;
  }
  if (!value || typeof value !== 'object' || depth > 32) return value;
  if (Array.isArray(value)) return value.map((item) => walk(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (SECRET_HEADERS.has(key.toLowerCase()) && (typeof item === 'string' || Array.isArray(item)) && !isMasked(item)) {
      out[key] = walk(maskHeaders({ [key]: item })[key], secrets, depth + 1);
    } else {
      out[key] = walk(item, secrets, depth + 1);
    }
  }
  return out;
}
