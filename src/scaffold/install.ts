/**
 * `npm install` (or the package manager the user ran us with) in a freshly scaffolded folder,
 * with its output streamed line by line. cross-spawn finds `npm.cmd` on Windows, which
 * `child_process.spawn` without a shell refuses since Node 20.12.2.
 */
import spawn from 'cross-spawn';

export interface InstallOptions {
  onLine?(line: string): void;
  signal?: AbortSignal;
  /** Extra arguments after `install`; default: the package manager's quiet offline-first flags. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';

const QUIET: Record<PackageManager, string[]> = {
  npm: ['--prefer-offline', '--no-audit', '--no-fund'],
  pnpm: ['--prefer-offline'],
  yarn: [],
  bun: [],
};

/**
 * The package manager that ran us, from `npm_config_user_agent` (`pnpm/9.1.0 npm/? node/v20…`); npm otherwise.
 * @example packageManagerOf({ npm_config_user_agent: 'yarn/1.22.22 npm/? node/v20.19.0' }) // 'yarn'
 */
export function packageManagerOf(env: NodeJS.ProcessEnv): PackageManager {
  const name = /^([a-z]+)\//.exec(env.npm_config_user_agent ?? '')?.[1];
  return name === 'pnpm' || name === 'yarn' || name === 'bun' ? name : 'npm';
}

/** Runs `<package manager> install` in `dir`; rejects with its last lines when it fails. */
export function runInstall(dir: string, options: InstallOptions = {}): Promise<void> {
  const env = options.env ?? process.env;
  const manager = packageManagerOf(env);
  const args = ['install', ...(options.args ?? QUIET[manager])];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(manager, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split(/\r?\n/)) {
        if (line.trim() === '') continue;
        tail.push(line);
        if (tail.length > 20) tail.shift();
        options.onLine?.(line);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const abort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (error) => reject(new Error(`cannot run ${manager}: ${error.message}`)));
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', abort);
      if (options.signal?.aborted) reject(options.signal.reason);
      else if (code === 0) resolvePromise();
      else reject(new Error(`${manager} install failed (${signal ?? `exit ${code}`}):\n${tail.slice(-8).join('\n')}`));
    });
  });
}
