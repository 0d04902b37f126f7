/**
 * The running `dev` session, published for the project's other commands: `send`, `simulate`
 * and `demo` find it here and drive that session instead of starting a stack of their own
 * (like `stripe trigger` landing in the running `stripe listen`). The file holds the channel
 * token, so it is written 0600 and atomically, removed on exit, and ignored once its pid is gone.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writePrivateFile } from '../secrets.js';

/** `<stateDir>/session.json` */
export const SESSION_FILE = 'session.json';

const SessionSchema = z.object({
  version: z.literal(1),
  pid: z.int().positive(),
  startedAt: z.number(),
  project: z.string(),
  mode: z.enum(['emulator', 'respondio']),
  bridgeUrl: z.string(),
  emulatorUrl: z.string().optional(),
  providerUrl: z.string().optional(),
  /** `mock`: the generic mock provider and its `/_mock/` control API; `stub`: recorded fixtures. */
  providerKind: z.enum(['mock', 'stub']).optional(),
  inspectorUrl: z.string().optional(),
  /**
   * How to authenticate to the inspector's API (the session's control API): send
   * `authorization: Bearer <inspectorSecret>` (or `?token=` where a header cannot go).
   */
  inspectorSecret: z.string().optional(),
  channel: z.object({ channelId: z.string(), token: z.string(), idType: z.enum(['phone', 'custom']) }),
  /** The provider settings the bridge runs with (stand-in URL, keys, webhook secret in use). */
  providerEnv: z.record(z.string(), z.string()).default({}),
});

/** What `dev` publishes about itself. */
export type DevSessionInfo = z.infer<typeof SessionSchema>;

/** Writes `<stateDir>/session.json` (0600, atomic). */
export async function writeSessionFile(stateDir: string, info: DevSessionInfo): Promise<string> {
  const path = join(stateDir, SESSION_FILE);
  await writePrivateFile(path, `${JSON.stringify(info, null, 2)}\n`);
  return path;
}

/**
 * Writes the file and removes it again when the returned function is called or the process
 * exits (a kill -9 leaves it behind: readers check the pid).
 */
export async function publishSession(stateDir: string, info: DevSessionInfo): Promise<() => void> {
  await writeSessionFile(stateDir, info);
  const onExit = () => removeSessionFile(stateDir, info.pid);
  process.on('exit', onExit);
  return () => {
    process.removeListener('exit', onExit);
    onExit();
  };
}

/** Removes the file, but only if it is still this process's (a newer dev may have replaced it). */
export function removeSessionFile(stateDir: string, pid = process.pid): void {
  const path = join(stateDir, SESSION_FILE);
  try {
    const current = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown };
    if (current.pid === pid) rmSync(path, { force: true });
  } catch {
    // Gone or unreadable: nothing of ours to remove.
  }
}

/** Whether a process with this pid exists (EPERM: it exists, owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The session `dev` published in `stateDir`, or undefined when there is none, it is
 * unreadable, or its process is gone (a dev killed with -9 leaves a stale file behind).
 * @example const session = readSessionFile(project.stateDir); if (session) console.log(session.bridgeUrl)
 */
export function readSessionFile(
  stateDir: string,
  alive: (pid: number) => boolean = isAlive,
): DevSessionInfo | undefined {
  let raw: string;
  try {
    raw = readFileSync(join(stateDir, SESSION_FILE), 'utf8');
  } catch {
    return undefined;
  }
  let parsed: ReturnType<typeof SessionSchema.safeParse>;
  try {
    parsed = SessionSchema.safeParse(JSON.parse(raw));
  } catch {
    return undefined;
  }
  if (!parsed.success || !alive(parsed.data.pid)) return undefined;
  return parsed.data;
}

/** Headers that authenticate to the session's inspector API. */
export function inspectorHeaders(info: Pick<DevSessionInfo, 'inspectorSecret'>): Record<string, string> {
  return info.inspectorSecret ? { authorization: `Bearer ${info.inspectorSecret}` } : {};
}
