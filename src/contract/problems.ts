/**
 * Turns zod issues into the one problem format every part of the tool prints:
 * `path: reason`, e.g. `events[0].mId: must be at most 50 characters (got 63)`.
 */
import type { z } from 'zod';

export interface Problem {
  /** JSON path in dotted/bracket form, e.g. `events[0].message.text`; empty for the root. */
  path: string;
  message: string;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isInteger(value)) return `a fractional number (${value})`;
  if (typeof value === 'string') return JSON.stringify(value.length > 30 ? `${value.slice(0, 30)}…` : value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** A readable reason for one zod issue; `input` is the whole payload, for "(got …)". */
export function reasonFor(issue: z.core.$ZodIssue, input: unknown): string {
  const value = valueAt(input, issue.path);
  switch (issue.code) {
    case 'invalid_type': {
      if (value === undefined) return 'is required';
      const expected =
        issue.expected === 'int' ? 'an integer' : `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
      if (issue.message && !issue.message.startsWith('Invalid input'))
        return `${issue.message} (got ${describe(value)})`;
      return `must be ${expected} (got ${describe(value)})`;
    }
    case 'too_big':
      if (issue.origin === 'string' && typeof value === 'string') {
        return `must be at most ${issue.maximum} characters (got ${value.length})`;
      }
      if (issue.origin === 'array' && Array.isArray(value) && issue.message.startsWith('Too big')) {
        return `must hold at most ${issue.maximum} items (got ${value.length})`;
      }
      if (issue.message.startsWith('Too big')) return `must be at most ${issue.maximum}`;
      return issue.message;
    case 'too_small':
      if (!issue.message.startsWith('Too small')) return issue.message;
      if (issue.origin === 'string') return `must be at least ${issue.minimum} characters`;
      if (issue.origin === 'array') return `must hold at least ${issue.minimum} items`;
      return `must be at least ${issue.minimum}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')} (got ${describe(value)})`;
    case 'invalid_union': {
      const note = (issue as { note?: string }).note;
      if (note === 'No matching discriminator') {
        const options = (issue as { options?: unknown[] }).options;
        const listed = options?.length ? ` ${options.map((o) => JSON.stringify(o)).join(', ')}` : '';
        return `unknown type ${describe(value)}: must be one of${listed}`;
      }
      return 'does not match any allowed shape';
    }
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'invalid_format':
      return issue.message.startsWith('Invalid') ? `must be a valid ${issue.format}` : issue.message;
    default:
      return issue.message;
  }
}

/** All problems of a failed parse, in document order. */
export function problemsOf(error: Pick<z.ZodError, 'issues'>, input: unknown): Problem[] {
  return error.issues.flatMap((issue) => {
    // One problem per unknown key, at the key's own path.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown field' }));
    }
    return [{ path: formatPath(issue.path), message: reasonFor(issue, input) }];
  });
}

/** `path: message` (or just the message at the root). */
export function formatProblem(problem: Problem): string {
  return problem.path ? `${problem.path}: ${problem.message}` : problem.message;
}
