/**
 * Dot paths that write into objects (`simulate --override a.b=1`, the provider stub's `set`)
 * must not reach `Object.prototype`: `__proto__.x=1` would give every object in the process an
 * `x`. Such keys are refused, not silently skipped, so the user sees why.
 */

/** Keys that lead to a prototype instead of a property. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'prototype', 'constructor']);

/** The first forbidden key of `path`, or undefined. */
export function forbiddenKey(path: readonly (string | number)[]): string | undefined {
  return path.find((key): key is string => typeof key === 'string' && FORBIDDEN_KEYS.has(key));
}

/** Throws a plain Error naming the path when it holds a forbidden key. */
export function assertSafePath(path: readonly (string | number)[], shown = path.join('.')): void {
  const key = forbiddenKey(path);
  if (key) throw new Error(`path ${JSON.stringify(shown)}: "${key}" is not allowed (it would change every object)`);
}
