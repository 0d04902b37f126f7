/**
 * Where this running copy of custom-channel came from. A checkout, or a tarball installed with
 * `npx ./custom-channel-x.y.z.tgz`, is not the registry's published version: a project that
 * asked the registry for `^x.y.z` would fail to install (E404) or get different code, so
 * `init` links it to the running copy instead, and says so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { packageRoot } from './templates.js';

export type SelfSource =
  | { kind: 'registry' }
  /** `spec` is a `file:` dependency on the running copy; `reason` says why, for the user. */
  | { kind: 'link'; spec: string; reason: string };

/** The lockfile entry npm wrote for the folder this package is installed in, if any. */
function lockEntryOf(root: string): { installRoot: string; resolved?: string } | undefined {
  const parent = dirname(root);
  const modules = basename(parent).startsWith('@') ? dirname(parent) : parent;
  if (basename(modules) !== 'node_modules') return undefined;
  const installRoot = dirname(modules);
  const key = `node_modules/${root
    .slice(modules.length + 1)
    .split('\\')
    .join('/')}`;
  for (const file of [join(modules, '.package-lock.json'), join(installRoot, 'package-lock.json')]) {
    try {
      const lock = JSON.parse(readFileSync(file, 'utf8')) as { packages?: Record<string, { resolved?: string }> };
      const entry = lock.packages?.[key];
      if (entry) return { installRoot, resolved: entry.resolved };
    } catch {
      // No such lockfile (or unreadable): try the next.
    }
  }
  return { installRoot };
}

/**
 * @example detectSelfSource('/work/custom-channel') // { kind: 'link', spec: 'file:/work/custom-channel', reason: 'running from a checkout ...' }
 */
export function detectSelfSource(root = packageRoot()): SelfSource {
  const entry = lockEntryOf(root);
  if (!entry) {
    return { kind: 'link', spec: `file:${root}`, reason: `running from a checkout (${root})` };
  }
  const resolved = entry.resolved;
  if (resolved?.startsWith('file:')) {
    const target = resolve(entry.installRoot, resolved.slice('file:'.length));
    // The tarball itself when it is still there (a copy is installed); else the unpacked folder.
    const spec = existsSync(target) ? `file:${target}` : `file:${root}`;
    return { kind: 'link', spec, reason: `installed from ${target}` };
  }
  return { kind: 'registry' };
}
