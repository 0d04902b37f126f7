/**
 * Runs `npm start` in a scaffolded project (its own process group, so a SIGTERM reaches the
 * bridge behind npm) and resolves its URL from the "bridge listening" log line.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface StartedProject {
  url: string;
  logs: string[];
  /** SIGTERM to the group; resolves with the exit code of npm. */
  stop(): Promise<number | string>;
}

export function npmStart(cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<StartedProject> {
  const child: ChildProcess = spawn('npm', ['start'], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const logs: string[] = [];
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(-child.pid, 'SIGTERM');
    return exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`npm start printed no "bridge listening" within ${timeoutMs} ms:\n${logs.join('\n')}`));
    }, timeoutMs);
    let buffer = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        logs.push(line);
        try {
          const record = JSON.parse(line) as { msg?: string; url?: string };
          if (record.msg === 'bridge listening' && record.url) {
            clearTimeout(timer);
            resolve({ url: record.url, logs, stop });
          }
        } catch {
          // npm's own lines.
        }
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => logs.push(`stderr: ${chunk}`));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited ${code}:\n${logs.join('\n')}`));
    });
  });
}
