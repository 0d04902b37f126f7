/**
 * Filling recorded provider payloads: `{{name}}` placeholders and `set`/`unset` edits by dot
 * path, so one real payload from the provider's documentation serves every replay.
 */
import { assertSafePath } from '../lib/safe-path.js';

/** Values a placeholder can take; `env:NAME` placeholders read `env`. */
export interface FillValues {
  [name: string]: string | number | undefined;
}

export interface FillContext {
  values: FillValues;
  env: Readonly<Record<string, string | undefined>>;
}

const PATTERN = /\{\{\s*(env:[A-Za-z0-9_]+|[A-Za-z]+)(?::(number))?\s*\}\}/g;
const WHOLE = /^\{\{\s*(env:[A-Za-z0-9_]+|[A-Za-z]+)(?::(number))?\s*\}\}$/;

function lookup(name: string, context: FillContext): string | number | undefined {
  if (name.startsWith('env:')) return context.env[name.slice(4)];
  return context.values[name];
}

function asNumber(value: string | number | undefined): string | number | undefined {
  if (typeof value !== 'string') return value;
  const number = Number(value);
  return value.trim() !== '' && Number.isFinite(number) ? number : value;
}

/**
 * Replaces placeholders in every string of a JSON value. A string that is exactly one
 * placeholder takes the value's type (`{{now}}` stays a number); `:number` turns a numeric
 * string into a number (`{{contactId:number}}` for Telegram's integer chat ids). Unknown
 * placeholders are left as they are, so a fixture test can find them.
 * @example fillPlaceholders({ id: '{{id}}', t: '{{nowSeconds}}' }, ctx) // { id: 'A1B2-…', t: 1767225600 }
 */
export function fillPlaceholders(value: unknown, context: FillContext): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) {
      const found = lookup(whole[1], context);
      if (found === undefined) return value;
      return whole[2] === 'number' ? asNumber(found) : found;
    }
    return value.replace(PATTERN, (match, name: string) => {
      const found = lookup(name, context);
      return found === undefined ? match : String(found);
    });
  }
  if (Array.isArray(value)) return value.map((item) => fillPlaceholders(item, context));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillPlaceholders(v, context)]));
  }
  return value;
}

/** `data.messages.0.to` -> ['data', 'messages', 0, 'to'] */
function splitPath(path: string): Array<string | number> {
  const keys = path.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  assertSafePath(keys, path);
  return keys;
}

/** The value at a dot path, or `undefined`. */
export function getPath(value: unknown, path: string): unknown {
  let current = value;
  for (const key of splitPath(path)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** Sets a dot path in place, creating objects (or arrays before a numeric key) on the way. */
export function setPath(target: unknown, path: string, value: unknown): void {
  const keys = splitPath(path);
  let current = target as Record<string | number, unknown>;
  for (const [i, key] of keys.entries()) {
    if (i === keys.length - 1) {
      current[key] = value;
      return;
    }
    if (current[key] === null || typeof current[key] !== 'object') {
      current[key] = typeof keys[i + 1] === 'number' ? [] : {};
    }
    current = current[key] as Record<string | number, unknown>;
  }
}

/** Deletes a dot path in place (missing paths are fine). */
export function unsetPath(target: unknown, path: string): void {
  const keys = splitPath(path);
  const parent = keys.length === 1 ? target : getPath(target, keys.slice(0, -1).join('.'));
  if (parent && typeof parent === 'object') delete (parent as Record<string | number, unknown>)[keys.at(-1)!];
}

export interface PayloadTemplate {
  /** The recorded payload. */
  base: unknown;
  set: Record<string, unknown>;
  unset: readonly string[];
}

/** A fresh copy of the recorded payload with the edits applied and placeholders filled. */
export function buildPayload(template: PayloadTemplate, context: FillContext): unknown {
  const copy = structuredClone(template.base) as unknown;
  for (const path of template.unset) unsetPath(copy, path);
  for (const [path, value] of Object.entries(template.set)) setPath(copy, path, value);
  return fillPlaceholders(copy, context);
}
