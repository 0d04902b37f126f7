/**
 * One process owns an outbox folder at a time (two writers would interleave journals and
 * deliver twice). The lock file names its owner by pid, the process's start time (field 22 of
 * /proc/<pid>/stat) and the boot id, so a pid recycled by another process (PID 1 after a
 * container restart, a pid reused after a reboot) is told from the owner and the lock taken
 * over. Where /proc is missing (macOS), a live pid counts as the owner.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const LOCK_FILE = 'lock';

/** Folders locked by this process (a second open in the same process is refused too). */
const held = new Set<string>();

export class OutboxLockedError extends Error {
  readonly pid: number;
  /** Delete this file to clear a lock left by a bridge that no longer runs. */
  readonly lockPath: string;
  constructor(dir: string, pid: number) {
    const lockPath = join(dir, LOCK_FILE);
    super(`the outbox in ${dir} is in use by process ${pid}; if no bridge is running there, delete ${lockPath}`);
    this.name = 'OutboxLockedError';
    this.pid = pid;
    this.lockPath = lockPath;
  }
}

interface LockIdentity {
  pid: number;
  /** Clock ticks after boot at which the process started; undefined without /proc. */
  start?: string;
  boot?: string;
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Start time of a process (clock ticks since boot), or undefined when /proc cannot tell. */
export function processStart(pid: number): string | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

export function bootId(): string | undefined {
  return readProc('/proc/sys/kernel/random/boot_id')?.trim();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseLock(text: string): LockIdentity | undefined {
  try {
    const value = JSON.parse(text) as LockIdentity | number;
    if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? { pid: value } : undefined;
    return Number.isInteger(value?.pid) && value.pid > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** True when the process named by the lock is the one that wrote it. */
function owns(lock: LockIdentity): boolean {
  if (!alive(lock.pid)) return false;
  const boot = bootId();
  if (lock.boot && boot && lock.boot !== boot) return false;
  const start = processStart(lock.pid);
  if (lock.start && start) return lock.start === start;
  // An old lock (a bare pid): with /proc, believe it only when that process is a node program.
  const cmdline = readProc(`/proc/${lock.pid}/cmdline`);
  return cmdline === undefined || /node|custom-channel/.test(cmdline);
}

/** The pid holding the lock, when that process is still the one that took it. */
export function lockOwner(dir: string): number | undefined {
  const text = readProc(join(dir, LOCK_FILE));
  const lock = text === undefined ? undefined : parseLock(text);
  return lock && lock.pid !== process.pid && owns(lock) ? lock.pid : undefined;
}

/** Takes the lock (the folder must exist); returns its release function. */
export function acquireLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  if (held.has(resolve(dir))) throw new OutboxLockedError(dir, process.pid);
  const identity: LockIdentity = { pid: process.pid, start: processStart(process.pid), boot: bootId() };
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(path, JSON.stringify(identity), { flag: 'wx', mode: 0o600 });
      held.add(resolve(dir));
      return () => {
        held.delete(resolve(dir));
        rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = lockOwner(dir);
      if (owner !== undefined) throw new OutboxLockedError(dir, owner);
      // Stale (its process is gone or is another one now) or ours from an earlier open.
      rmSync(path, { force: true });
    }
  }
  throw new Error(`cannot take the outbox lock ${path}; delete it if no bridge is running`);
}
