/**
 * A real `redis-server` for tests, on a free loopback port, in its own temp folder, with the
 * append-only file fsynced on every write (the settings the Redis outbox asks for). Tests own
 * the process, so they can kill it and start it again on the same port and data.
 *
 * Where redis-server is missing: under CI (CI=true) `requireRedisServer()` throws, so the
 * suite fails loudly; elsewhere the Redis tests are skipped with the reason in their name.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

function findRedisServer(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export const REDIS_SERVER = findRedisServer();

/** True when the Redis tests can run; throws under CI when they cannot. */
export function requireRedisServer(): boolean {
  if (REDIS_SERVER) return true;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(
      'redis-server is not installed: CI must run the Redis tests (.ci/run installs Debian redis-server)',
    );
  }
  return false;
}

export const REDIS_SKIP_NOTE = REDIS_SERVER ? '' : ' [skipped: redis-server not installed]';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServerOptions {
  /** Default 'always'. */
  appendfsync?: 'always' | 'everysec' | 'no';
  /** Default true. */
  appendonly?: boolean;
  /** More `--name value` settings. */
  args?: string[];
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly child: ChildProcess;
  /** SIGKILL (no shutdown save), then wait. */
  kill(): Promise<void>;
  /** Start again on the same port and data folder (after `kill`/`stop`). */
  restart(): Promise<void>;
  /** SIGTERM, wait, and delete the data folder. Idempotent. */
  close(): Promise<void>;
}

function launch(port: number, dir: string, options: RedisServerOptions): Promise<ChildProcess> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendonly === false ? 'no' : 'yes',
    '--appendfsync',
    options.appendfsync ?? 'always',
    '--daemonize',
    'no',
    ...(options.args ?? []),
  ];
  const child = spawn(REDIS_SERVER ?? 'redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited ${code}: ${output}`));
    });
  });
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));

/**
 * @example const redis = await startRedisServer(); process.env.URL = redis.url; await redis.close()
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'redis-test-'));
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 0; !child; attempt += 1) {
    port = await freePort();
    try {
      child = await launch(port, dir, options);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
  let closed: Promise<void> | undefined;
  const server = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    child,
    async kill() {
      server.child.kill('SIGKILL');
      await exited(server.child);
    },
    async restart() {
      server.child = await launch(port, dir, options);
    },
    close() {
      closed ??= (async () => {
        server.child.kill('SIGTERM');
        await exited(server.child);
        await rm(dir, { recursive: true, force: true });
      })();
      return closed;
    },
  };
  return server;
}

/**
 * The Redis a test file's queues and outboxes use: the one `.ci/run` starts for the suite
 * (CUSTOM_CHANNEL_TEST_REDIS_URL), else one of the file's own, started before its tests (when
 * redis-server is installed) and stopped after them.
 * @example const redis = useSuiteRedis(); ... openRedisOutbox({ url: redis.url, channelId })
 */
export function useSuiteRedis(): Pick<RedisServer, 'url'> {
  const handle = { url: '' };
  let own: RedisServer | undefined;
  beforeAll(async () => {
    const shared = process.env.CUSTOM_CHANNEL_TEST_REDIS_URL;
    if (shared) handle.url = shared;
    else if (requireRedisServer()) {
      own = await startRedisServer();
      handle.url = own.url;
    }
  });
  afterAll(async () => {
    await own?.close();
  });
  return handle;
}
