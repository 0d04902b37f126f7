/**
 * A nesting limit for JSON we are handed. `JSON.parse` accepts 5,000 levels in 30 KB, and then
 * every recursive step after it (schema checks, copies, serialisation, the emulator's state
 * file) overflows the stack: the servers answered 500 until reset and `emulate --persist`
 * crashed. The text is scanned before it is parsed (a loop, no recursion), so a hostile body
 * costs one pass over its bytes.
 *
 * 64 levels: respond.io's deepest documented body (webhook -> events[] -> message ->
 * attachment / quick replies) is under 10; a custom payload gets over 50 levels of room.
 */

/** The deepest nesting of objects and arrays accepted by every server and by `validate`. */
export const MAX_JSON_DEPTH = 64;

/** JSON deeper than the limit: answered 400 (`statusCode`) by the servers. */
export class JsonTooDeepError extends Error {
  readonly statusCode = 400;
  readonly code = 'JSON_TOO_DEEP';
  constructor(
    readonly limit: number,
    /** Character offset of the first bracket past the limit. */
    readonly offset: number,
  ) {
    super(`the JSON is nested deeper than ${limit} levels (the limit): flatten the payload`);
    this.name = 'JsonTooDeepError';
  }
}

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Offset of the first `{` or `[` that opens level `limit + 1`, or -1 when the text stays within
 * the limit. Brackets inside strings do not count; the text need not be valid JSON.
 * @example depthExceededAt('[[[1]]]', 2) // 2
 */
export function depthExceededAt(text: string, limit = MAX_JSON_DEPTH): number {
  if (text.length <= limit || openingsAtMost(text, limit)) return -1;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      if (depth > limit) return i;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  return -1;
}

/**
 * Whether the text holds at most `limit` opening brackets in all (inside strings too): then it
 * cannot nest deeper than `limit`. Found with `indexOf`, much faster than the scan's loop over
 * every character, and enough for nearly every real body (this runs per request).
 */
function openingsAtMost(text: string, limit: number): boolean {
  let count = 0;
  for (let i = text.indexOf('{'); i >= 0; i = text.indexOf('{', i + 1)) if (++count > limit) return false;
  for (let i = text.indexOf('['); i >= 0; i = text.indexOf('[', i + 1)) if (++count > limit) return false;
  return true;
}

/** Throws JsonTooDeepError when `text` nests deeper than `limit`. */
export function assertJsonDepth(text: string, limit = MAX_JSON_DEPTH): void {
  const at = depthExceededAt(text, limit);
  if (at >= 0) throw new JsonTooDeepError(limit, at);
}

/**
 * `JSON.parse` with the nesting limit (throws JsonTooDeepError, or JSON.parse's SyntaxError).
 * @example parseJsonLimited('{"a":1}') // { a: 1 }
 */
export function parseJsonLimited(text: string, limit = MAX_JSON_DEPTH): unknown {
  assertJsonDepth(text, limit);
  return JSON.parse(text);
}

/** JSON -> value when it parses within the limit; anything else (too deep, not JSON) -> the text. */
export function parseJsonOrText(text: string, limit = MAX_JSON_DEPTH): unknown {
  if (depthExceededAt(text, limit) >= 0) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
