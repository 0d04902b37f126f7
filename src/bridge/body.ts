/**
 * Request bodies kept byte for byte: every content type is read as a Buffer (so adapters can
 * check signatures over the exact bytes), or as text where no route needs bytes (`/message`),
 * and parsed here, by the route, so a malformed body cannot pre-empt `/message`'s token check.
 */
import type { FastifyInstance } from 'fastify';
import { depthExceededAt, JsonTooDeepError, MAX_JSON_DEPTH } from '../lib/json-depth.js';

/** Makes every request body a Buffer (or undefined when there is none). */
export function keepRawBodies(app: FastifyInstance): void {
  keepBodies(app, 'buffer');
}

/**
 * Makes every request body a string (or undefined when there is none), for a route that needs
 * no bytes (`/message`, whose body is JSON or refused): Fastify then decodes the one chunk in
 * place, where a Buffer body costs a copy (and, every few dozen requests, a new 8 KiB pool).
 * Register it in the route's own scope (`app.register`), as the parsers are per scope.
 */
export function keepTextBodies(app: FastifyInstance): void {
  keepBodies(app, 'string');
}

function keepBodies(app: FastifyInstance, parseAs: 'buffer' | 'string'): void {
  app.removeAllContentTypeParsers();
  const keep = (_request: unknown, body: Buffer | string, done: (error: null, body: Buffer | string) => void) =>
    done(null, body);
  // JSON named as well: Fastify caches the parser it finds by name, but looks the catch-all up
  // again (parsing the Content-Type header) on every request.
  app.addContentTypeParser('application/json', { parseAs }, keep);
  app.addContentTypeParser('*', { parseAs }, keep);
}

export function rawBodyOf(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.alloc(0);
}

/**
 * JSON -> value; form-urlencoded -> flat object (last value wins); anything else -> text.
 * A JSON body that does not parse is handed over as text: the adapter decides. JSON nested
 * deeper than MAX_JSON_DEPTH throws JsonTooDeepError (the error handler answers 400), unless
 * `tooDeep` is 'text': then it is handed over as text too (`/message` checks its token first).
 */
export function parseBody(raw: Buffer, contentType: string | undefined, tooDeep: 'throw' | 'text' = 'throw'): unknown {
  if (raw.length === 0) return undefined;
  return parseText(raw.toString('utf8'), contentType, tooDeep);
}

/** `parseBody` of a body already decoded (`keepTextBodies`); '' is no body. */
export function parseText(text: string, contentType: string | undefined, tooDeep: 'throw' | 'text' = 'throw'): unknown {
  if (text.length === 0) return undefined;
  const type =
    contentType === 'application/json' ? contentType : (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) {
    const deepAt = depthExceededAt(text);
    if (deepAt >= 0) {
      if (tooDeep === 'text') return text;
      throw new JsonTooDeepError(MAX_JSON_DEPTH, deepAt);
    }
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  return text;
}

/** The 400 message for a body nested deeper than the limit, or undefined. */
export function jsonDepthProblem(text: string): string | undefined {
  const at = depthExceededAt(text);
  return at < 0 ? undefined : new JsonTooDeepError(MAX_JSON_DEPTH, at).message;
}

/** Flattens Node's header/query shapes to `string | undefined` (repeated values joined by ", "). */
export function flatten(values: Record<string, unknown>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  // for-in, not Object.entries: no pair array per header (this runs per request).
  for (const name in values) {
    if (!Object.hasOwn(values, name)) continue;
    const value = values[name];
    if (value === undefined) continue;
    out[name] = typeof value === 'string' ? value : Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}
