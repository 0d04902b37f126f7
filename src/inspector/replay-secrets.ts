/**
 * Where a replay may go and which secrets it may carry. The inspector stores requests masked
 * (`Bearer tok_…gh`, `/botabcd…yz/sendMessage`); a replay puts a secret back only at a place
 * where that same secret was masked in the recorded request (matched by its masked form, among
 * the secrets the inspector knows), and only sends to the place the request went: the bridge
 * for requests it received, the recorded origin for requests it made. So an unedited replay of
 * a bridge -> provider call carries the provider key, never the channel token, and `$TOKEN`
 * typed into a header stands only for the secret recorded in that header.
 */
import type { Exchange } from '../exchange.js';
import { bearerToken, maskSecret } from '../secrets.js';

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** Shorter secrets all mask to `****`: which one was there cannot be told, so none is put back. */
const MIN_MATCHABLE = 12;

/** A request the inspector will not send; `status` is the HTTP answer to give the page. */
export class ReplayRefused extends Error {
  constructor(
    message: string,
    readonly status: 400 | 403 = 403,
  ) {
    super(message);
  }
}

/** Known secrets by masked form; a mask two secrets share is dropped (ambiguous). */
export function secretsByMask(values: readonly (string | undefined)[]): Map<string, string> {
  const byMask = new Map<string, string>();
  const ambiguous = new Set<string>();
  const all = values.flatMap((value) => (value ? [value, bearerToken(value)] : []));
  for (const value of all) {
    if (!value || value.length < MIN_MATCHABLE) continue;
    const mask = maskSecret(value);
    const seen = byMask.get(mask);
    if (seen !== undefined && seen !== value) ambiguous.add(mask);
    else byMask.set(mask, value);
  }
  for (const mask of ambiguous) byMask.delete(mask);
  return byMask;
}

/** The secrets masked in `text` (a recorded URL or header value). */
function secretsIn(text: string, byMask: Map<string, string>): string[] {
  const variants = (mask: string) => [mask, encodeURIComponent(mask)];
  return [...byMask].filter(([mask]) => variants(mask).some((v) => text.includes(v))).map(([, secret]) => secret);
}

export interface SecretPlaces {
  url: string[];
  /** Lower-case header name -> the secrets masked in it. */
  headers: Map<string, string[]>;
}

/**
 * Which known secrets were masked where in the recorded request. The inspector's own compose
 * records write `Bearer $TOKEN` for the channel token.
 */
export function secretPlaces(original: Exchange, byMask: Map<string, string>, token: string | undefined): SecretPlaces {
  const headers = new Map<string, string[]>();
  for (const [name, value] of Object.entries(original.requestHeaders ?? {})) {
    const found = secretsIn(value, byMask);
    if (value.includes('$TOKEN') && original.leg === 'respondio' && token) found.push(token);
    if (found.length > 0) headers.set(name.toLowerCase(), [...new Set(found)]);
  }
  return { url: secretsIn(original.url, byMask), headers };
}

/** Puts back each secret whose masked form (raw or percent-encoded) appears in `text`. */
export function unmask(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    const mask = maskSecret(secret);
    out = out.split(mask).join(secret).split(encodeURIComponent(mask)).join(secret);
  }
  return out;
}

/** Masks each secret again (for the replay's own record). */
export function remask(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(maskSecret(secret));
  return out;
}

/** A header value with its recorded secret back; `$TOKEN` only where exactly one secret was. */
export function headerWithSecret(name: string, value: string, secrets: readonly string[] | undefined): string {
  let out = value;
  if (out.includes('$TOKEN')) {
    if (secrets?.length !== 1) {
      throw new ReplayRefused(
        `$TOKEN in ${name}: the recorded request had no secret in this header, so there is none to put back`,
        400,
      );
    }
    out = out.replaceAll('$TOKEN', secrets[0]);
  }
  return secrets ? unmask(out, secrets) : out;
}

/**
 * The URL a replay goes to: requests the bridge received go back to the bridge, requests the
 * bridge made go back to the same origin; anything else is refused.
 * @example replayTarget(exchange, undefined, 'http://127.0.0.1:3000') // 'http://127.0.0.1:3000/message'
 */
export function replayTarget(original: Exchange, editedUrl: string | undefined, bridgeUrl: string | undefined): URL {
  const absolute = /^https?:\/\//i;
  let base: URL;
  if (original.direction === 'in') {
    if (!bridgeUrl) throw new ReplayRefused('no bridge URL is known: requests the bridge received cannot be replayed');
    base = new URL(bridgeUrl);
  } else {
    if (!absolute.test(original.url)) {
      throw new ReplayRefused(
        "this record has only the request's path, not where it went: replay the bridge's own record of it",
      );
    }
    base = new URL(original.url);
  }
  const wanted = editedUrl ?? original.url;
  let target: URL;
  try {
    // A recorded path goes below the bridge's URL (which may itself have a path), as curl's copy does.
    const below = original.direction === 'in' && /^\/(?!\/)/.test(wanted);
    target = absolute.test(wanted)
      ? new URL(wanted)
      : below
        ? new URL(`${trimSlash(base.href)}${wanted}`)
        : new URL(wanted, base);
  } catch {
    throw new ReplayRefused(`url ${JSON.stringify(wanted)} is not a URL or a path`, 400);
  }
  if (target.origin !== base.origin) {
    const where = original.direction === 'in' ? "the bridge's" : "the recorded request's";
    throw new ReplayRefused(`a replay goes only to ${where} origin ${base.origin}, not ${target.origin}`);
  }
  return target;
}
