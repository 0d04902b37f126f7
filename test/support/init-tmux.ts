/**
 * Runs a command in a real pseudo-terminal through tmux (its own server socket, so nothing
 * else's sessions are touched), reads the screen and types keys, like a user would.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const TMUX = '/usr/bin/tmux';

export interface TmuxSession {
  /** The visible screen, as text. */
  screen(): string;
  /** Sends keys as tmux names them (`Enter`, `Down`, `C-c`) or literal text with `literal`. */
  keys(...keys: string[]): void;
  type(text: string): void;
  /** Waits until the screen matches `pattern`; throws with the screen on timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Waits for the command to end and returns its exit code. */
  exitCode(timeoutMs?: number): Promise<number>;
  kill(): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Starts `argv` in `cwd` inside a detached 120x40 tmux session. */
export function startTmux(argv: string[], cwd: string, env: Record<string, string>, stateDir: string): TmuxSession {
  const socket = `cc-init-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const exitFile = join(stateDir, `${socket}.exit`);
  const envPart = Object.entries(env)
    .map(([k, v]) => `${k}=${shellQuote(v)}`)
    .join(' ');
  // Keep the pane open after the command ends so its last screen can still be read.
  const script = `env ${envPart} ${argv.map(shellQuote).join(' ')}; echo $? > ${shellQuote(exitFile)}; sleep 60`;
  const tmux = (...args: string[]) =>
    execFileSync(TMUX, ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  tmux('new-session', '-d', '-s', 'main', '-x', '120', '-y', '40', '-c', cwd, script);

  const session: TmuxSession = {
    screen: () => tmux('capture-pane', '-p', '-t', 'main'),
    keys: (...keys) => void tmux('send-keys', '-t', 'main', ...keys),
    type: (text) => void tmux('send-keys', '-t', 'main', '-l', text),
    async waitFor(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const screen = session.screen();
        if (pattern.test(screen)) return screen;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; screen:\n${screen}`);
        await sleep(50);
      }
    },
    async exitCode(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!existsSync(exitFile) || readFileSync(exitFile, 'utf8').trim() === '') {
        if (Date.now() > deadline) throw new Error(`command did not end; screen:\n${session.screen()}`);
        await sleep(50);
      }
      return Number(readFileSync(exitFile, 'utf8').trim());
    },
    kill() {
      try {
        tmux('kill-server');
      } catch {
        // Already gone.
      }
    },
  };
  return session;
}
