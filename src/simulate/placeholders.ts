/**
 * Fixture templating for `simulate`: `{{mId}}`, `{{now}}`, `{{contactId}}`, `{{channelId}}`,
 * `{{uuid}}` placeholders, and `--override path=value` edits with JSON-ish values.
 */
import { randomUUID } from 'node:crypto';
import { usageError } from '../errors.js';
import { assertSafePath, forbiddenKey } from '../lib/safe-path.js';

export interface PlaceholderValues {
  channelId: string;
  contactId: string;
  /** A fresh provider-style message ID for each `{{mId}}`. */
  mId(): string;
  /** Epoch milliseconds. */
  now(): number;
  uuid(): string;
}

export const placeholderNames = ['mId', 'now', 'contactId', 'channelId', 'uuid'] as const;

/** Default values: a counter-based mId unique within the process, the wall clock, random UUIDs. */
export function buildPlaceholderValues(channelId: string, contactId: string, now: () => number = Date.now) {
  let counter = 0;
  const run = Date.now().toString(36);
  return {
    channelId,
    contactId,
    mId: () => `sim-${run}-${++counter}`,
    now,
    uuid: () => randomUUID(),
  } satisfies PlaceholderValues;
}

const PATTERN = /\{\{\s*(mId|now|contactId|channelId|uuid)\s*\}\}/g;
const WHOLE = /^\{\{\s*(mId|now|contactId|channelId|uuid)\s*\}\}$/;

function placeholderValue(name: string, values: PlaceholderValues): string | number {
  switch (name) {
    case 'mId':
      return values.mId();
    case 'now':
      return values.now();
    case 'uuid':
      return values.uuid();
    case 'contactId':
      return values.contactId;
    default:
      return values.channelId;
  }
}

/**
 * Replaces placeholders in every string of a JSON value. A string that is exactly `{{now}}`
 * becomes a number, so timestamps stay integers.
 * @example applyPlaceholders({ t: '{{now}}', id: 'x-{{uuid}}' }, values) // { t: 1767225600000, id: 'x-…' }
 */
export function applyPlaceholders(value: unknown, values: PlaceholderValues): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return placeholderValue(whole[1], values);
    return value.replace(PATTERN, (_, name: string) => String(placeholderValue(name, values)));
  }
  if (Array.isArray(value)) return value.map((item) => applyPlaceholders(item, values));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, applyPlaceholders(v, values)]));
  }
  return value;
}

export interface Override {
  /** `message.attachment.url` -> ['message', 'attachment', 'url']; `events[0]` -> ['events', 0]. */
  path: Array<string | number>;
  value: unknown;
  raw: string;
}

/** `a.b[0].c` -> ['a', 'b', 0, 'c']; `undefined` when the path is malformed. */
export function parsePath(text: string): Array<string | number> | undefined {
  const out: Array<string | number> = [];
  const re = /([^.[\]]+)|\[(\d+)\]|(\.)/gy;
  let expectKey = true;
  let match: RegExpExecArray | null = re.exec(text);
  let consumed = 0;
  while (match) {
    consumed = re.lastIndex;
    if (match[1] !== undefined) {
      if (!expectKey) return undefined;
      out.push(match[1]);
      expectKey = false;
    } else if (match[2] !== undefined) {
      if (out.length === 0) return undefined;
      out.push(Number(match[2]));
    } else {
      if (expectKey) return undefined;
      expectKey = true;
    }
    match = re.exec(text);
  }
  if (consumed !== text.length || out.length === 0 || expectKey) return undefined;
  return out;
}

/**
 * Parses `path=value`. The value is JSON when it parses as JSON (`42`, `true`, `null`,
 * `{"a":1}`, `"quoted"`), otherwise the plain text.
 * @example parseOverride('message.text=hi') // { path: ['message', 'text'], value: 'hi' }
 */
export function parseOverride(raw: string): Override {
  const eq = raw.indexOf('=');
  const path = eq > 0 ? parsePath(raw.slice(0, eq).trim()) : undefined;
  if (!path) {
    throw usageError(
      `--override ${JSON.stringify(raw)}: expected path=value`,
      'e.g. --override message.text="Hi there" --override events[0].timestamp=0',
    );
  }
  const forbidden = forbiddenKey(path);
  if (forbidden) {
    throw usageError(
      `--override ${JSON.stringify(raw)}: "${forbidden}" is not allowed in a path`,
      'name a field of the payload, e.g. --override message.text=hi',
    );
  }
  const text = raw.slice(eq + 1);
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // Not JSON: keep the text as a string.
  }
  return { path, value, raw };
}

/** A deep copy of `target` with every override applied in order; missing parents are created. */
export function applyOverrides(target: unknown, overrides: readonly Override[]): unknown {
  const root = structuredClone(target) as Record<string | number, unknown>;
  for (const override of overrides) {
    assertSafePath(override.path);
    let node = root as Record<string | number, unknown>;
    override.path.forEach((key, index) => {
      if (index === override.path.length - 1) {
        node[key] = override.value;
        return;
      }
      const next = node[key];
      if (next === null || typeof next !== 'object') {
        node[key] = typeof override.path[index + 1] === 'number' ? [] : {};
      }
      node = node[key] as Record<string | number, unknown>;
    });
  }
  return root;
}
