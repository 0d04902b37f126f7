/** `npm install` in a freshly scaffolded folder, with its output streamed line by line. */
import { spawn } from 'node:child_process';

export interface InstallOptions {
  onLine?(line: string): void;
  signal?: AbortSignal;
  /** Extra npm arguments; default `--prefer-offline --no-audit --no-fund`. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Runs `npm install` in `dir`; rejects with npm's last lines when it fails. */
export function runInstall(dir: string, options: InstallOptions = {}): Promise<void> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const args = ['install', ...(options.args ?? ['--prefer-offline', '--no-audit', '--no-fund'])];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(npm, args, { cwd: dir, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split(/\r?\n/)) {
        if (line.trim() === '') continue;
        tail.push(line);
        if (tail.length > 20) tail.shift();
        options.onLine?.(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const abort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (error) => reject(new Error(`cannot run npm: ${error.message}`)));
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', abort);
      if (options.signal?.aborted) reject(options.signal.reason);
      else if (code === 0) resolvePromise();
      else reject(new Error(`npm install failed (${signal ?? `exit ${code}`}):\n${tail.slice(-8).join('\n')}`));
    });
  });
}
