/**
 * One process owns an outbox folder at a time (two writers would interleave journals and
 * deliver twice). The lock file holds the owner's pid; a lock whose process is gone (a crash,
 * `kill -9`) is taken over.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'lock';

/** Folders locked by this process (a second open in the same process is refused too). */
const held = new Set<string>();

export class OutboxLockedError extends Error {
  readonly pid: number;
  constructor(dir: string, pid: number) {
    super(`the outbox in ${dir} is in use by process ${pid}`);
    this.name = 'OutboxLockedError';
    this.pid = pid;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid holding the lock, when that process is still running. */
export function lockOwner(dir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(dir, LOCK_FILE), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the lock (the folder must exist); returns its release function. */
export function acquireLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  if (held.has(resolve(dir))) throw new OutboxLockedError(dir, process.pid);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      held.add(resolve(dir));
      return () => {
        held.delete(resolve(dir));
        rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = lockOwner(dir);
      if (owner !== undefined) throw new OutboxLockedError(dir, owner);
      // Stale (its process is gone) or ours from an earlier open: remove and try once more.
      rmSync(path, { force: true });
    }
  }
  throw new Error(`cannot take the outbox lock ${path}`);
}
