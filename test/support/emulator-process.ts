/**
 * `custom-channel emulate` as a real process (the built bin), read line by line from stdout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BIN } from './cli.js';

export interface EmulateProcess {
  child: ChildProcess;
  /** The next stdout line (rejects after `timeoutMs`). */
  nextLine(timeoutMs?: number): Promise<string>;
  stderr(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

export function spawnEmulate(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): EmulateProcess {
  const child = spawn(process.execPath, [BIN, 'emulate', ...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else lines.push(line);
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return {
    child,
    stderr: () => stderr,
    exited,
    nextLine(timeoutMs = 10_000) {
      const ready = lines.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no output within ${timeoutMs} ms; stderr: ${stderr}`)),
          timeoutMs,
        );
        waiting.push((line) => {
          clearTimeout(timer);
          resolve(line);
        });
      });
    },
  };
}
