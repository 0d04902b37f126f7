/**
 * Runs `custom-channel dev --json` from the built bin as a real process and collects its
 * NDJSON events, so tests can wait for a banner, a tunnel event or an exchange.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { BIN } from './cli.js';

export interface DevEventLine {
  type: string;
  [key: string]: unknown;
}

export interface DevProcess {
  child: ChildProcess;
  events: DevEventLine[];
  stderr(): string;
  /** Resolves with the first event (already seen or future) matching `predicate`. */
  waitFor(predicate: (event: DevEventLine) => boolean, timeoutMs?: number, from?: number): Promise<DevEventLine>;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  exited: Promise<number | string>;
  /** SIGKILL if still running (cleanup). */
  kill(): Promise<void>;
}

export function startDevProcess(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): DevProcess {
  const child = spawn(process.execPath, [BIN, 'dev', '--json', ...args], {
    cwd: options.cwd,
    // Port 0: tests never take the inspector's fixed default (4040).
    env: { ...process.env, NO_COLOR: '1', CUSTOM_CHANNEL_INSPECTOR_PORT: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: DevEventLine[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) {
        try {
          events.push(JSON.parse(line) as DevEventLine);
        } catch {
          events.push({ type: 'non-json', line });
        }
      }
      newline = buffer.indexOf('\n');
    }
    for (const wake of waiters) wake();
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const wake of waiters) wake();
      resolve(code ?? signal ?? -1);
    });
  });
  return {
    child,
    events,
    stderr: () => stderr,
    exited,
    waitFor(predicate, timeoutMs = 15_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.slice(from).find(predicate);
          if (found) {
            done();
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(
              new Error(`dev exited (${child.exitCode ?? child.signalCode}) before the event; stderr:\n${stderr}`),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `no matching dev event in ${timeoutMs} ms; got:\n${events.map((e) => JSON.stringify(e)).join('\n')}\nstderr:\n${stderr}`,
            ),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
