/**
 * `runStart`: the service behind `custom-channel start`. Loads the project's adapter and the
 * channel credentials, starts the bridge with JSON logs, and shuts down gracefully on SIGTERM
 * or SIGINT (stop accepting, finish in-flight requests and deliveries, keep the rest on disk)
 * within `--shutdown-timeout`; past it the process exits anyway (the journal is on disk).
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { resolveConfig } from '../config/resolve.js';
import { IdTypeSchema } from '../contract/ids.js';
import { CliError, ExitCode, messageOf, usageError } from '../errors.js';
import { OutboxLockedError } from '../outbox/lock.js';
import { checkRedisUrl, describeRedisUrl } from '../outbox/redis/url.js';
import { loadAdapter, loadProject, type SendSettings } from '../project.js';
import { maskSecret } from '../secrets.js';
import type { StartBridgeOptions } from './options.js';
import { startBridge } from './start.js';

export interface StartFlags {
  port?: string;
  host?: string;
  rateLimit?: string;
  logLevel?: string;
  stateDir?: string;
  /** commander's `--no-metrics` sets this to false. */
  metrics?: boolean;
  shutdownTimeout?: string;
  readyFailingAfter?: string;
  readyMaxPending?: string;
  /** commander's `--no-send-queue`: false turns the send queue off. */
  sendQueue?: boolean;
  /** commander fills it from --redis or CUSTOM_CHANNEL_REDIS_URL. */
  redis?: string;
}

const FlagsSchema = z.object({
  port: z.coerce.number({ error: 'not a port number: use 0..65535 (0 picks a free port)' }).int().min(0).max(65535),
  host: z.string().min(1),
  rateLimit: z.coerce.number().positive().max(1000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']),
  stateDir: z.string().min(1).optional(),
  metrics: z.boolean(),
  shutdownTimeout: z.coerce.number().min(0.1).max(3600),
  readyFailingAfter: z.coerce
    .number()
    .min(0)
    .max(7 * 24 * 3600),
  readyMaxPending: z.coerce.number().int().min(1),
});
export type StartOptions = z.infer<typeof FlagsSchema> & { sendQueue?: boolean; redisUrl?: string };

/**
 * Flags -> checked options. commander reads the environment twins (PORT, HOST, LOG_LEVEL,
 * CUSTOM_CHANNEL_*); `env` is the fallback for callers that skip commander.
 */
export function parseStartFlags(flags: StartFlags, env: NodeJS.ProcessEnv = process.env): StartOptions {
  const parsed = FlagsSchema.safeParse({
    port: flags.port ?? env.PORT ?? '3000',
    host: flags.host ?? env.HOST ?? '0.0.0.0',
    rateLimit: flags.rateLimit ?? '20',
    logLevel: flags.logLevel ?? env.LOG_LEVEL ?? 'info',
    stateDir: flags.stateDir ?? env.CUSTOM_CHANNEL_STATE_DIR,
    metrics: flags.metrics !== false,
    shutdownTimeout: flags.shutdownTimeout ?? '10',
    readyFailingAfter: flags.readyFailingAfter ?? '60',
    readyMaxPending: flags.readyMaxPending ?? '10000',
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw usageError(`${flag}: ${issue.message}`, 'see custom-channel start --help');
  }
  const redis = flags.redis ?? env.CUSTOM_CHANNEL_REDIS_URL;
  const options: StartOptions = flags.sendQueue === false ? { ...parsed.data, sendQueue: false } : parsed.data;
  return redis ? { ...options, redisUrl: checkRedisUrl(redis) } : options;
}

export interface RunStartInput extends StartOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Resolves when the process should stop (default: SIGTERM or SIGINT). */
  stopSignal?: Promise<NodeJS.Signals>;
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

/** `customChannel.send` and `--no-send-queue` -> the bridge's sending-leg options. */
export function sendOptionsOf(
  settings: SendSettings | undefined,
  queueFlag: boolean | undefined,
): Pick<StartBridgeOptions, 'sendTimeoutMs' | 'sendQueue'> {
  const budget = settings?.budgetMs === undefined ? {} : { sendTimeoutMs: settings.budgetMs };
  if (queueFlag === false || settings?.queue === false) return { ...budget, sendQueue: false };
  return {
    ...budget,
    sendQueue: {
      ...(settings?.maxAgeMs === undefined ? {} : { maxAgeMs: settings.maxAgeMs }),
      ...(settings?.maxAttempts === undefined ? {} : { maxAttempts: settings.maxAttempts }),
      ...(settings?.retryMaxMs === undefined ? {} : { backoff: { maxMs: settings.retryMaxMs } }),
    },
  };
}

/** Runs the bridge until stopped; resolves with the exit code (0 after SIGTERM, 130 after SIGINT). */
export async function runStart(input: RunStartInput): Promise<number> {
  const project = loadProject(input.cwd, input.env);
  const config = await resolveConfig({ cwd: input.cwd, env: input.env });
  const { channelId, token, webhookUrl } = config.values;
  if (!channelId || !token) {
    throw new CliError('no respond.io channel configured: start needs the Channel ID and API Token', {
      hint: 'set RESPONDIO_CHANNEL_ID and RESPONDIO_CHANNEL_TOKEN, or run `custom-channel config set channel-id …` and `… token …`',
    });
  }
  // The project's manifest speaks for the ID type unless it was set explicitly.
  const idType = IdTypeSchema.parse(
    config.sources.idType && config.sources.idType !== 'default' ? config.values.idType : project.idType,
  );
  const adapter = await loadAdapter(project.adapterPath);
  const stateDir = input.stateDir ? resolve(input.cwd, input.stateDir) : project.stateDir;
  let bridge: Awaited<ReturnType<typeof startBridge>>;
  try {
    bridge = await startBridge({
      adapter,
      channel: { channelId, token, idType },
      respondio: { webhookUrl: webhookUrl ?? 'https://webhook.respond.io/custom/channel/webhook/' },
      env: project.env,
      stateDir,
      host: input.host,
      port: input.port,
      rateLimitPerSecond: input.rateLimit,
      redisUrl: input.redisUrl,
      logger: { level: input.logLevel },
      metrics: input.metrics,
      readiness: { failingAfterMs: input.readyFailingAfter * 1000, highWaterMark: input.readyMaxPending },
      ...sendOptionsOf(project.send, input.sendQueue),
    });
  } catch (error) {
    if (error instanceof OutboxLockedError) {
      throw new CliError(`another bridge (pid ${error.pid}) is using this project's outbox`, {
        hint: `stop it first: one process delivers a channel's events (if no bridge runs, delete ${error.lockPath})`,
      });
    }
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliError(`port ${input.port} is in use`, { hint: 'pass --port <free port> (0 picks one)' });
    }
    if (error instanceof CliError) throw error;
    // Whatever else failed (state folder, journal, send queue, listen): one line, exit 1.
    throw new CliError(`the bridge could not start: ${messageOf(error)}`);
  }
  bridge.app.log.info(
    {
      url: bridge.url,
      adapter: adapter.name,
      channelId,
      token: maskSecret(token),
      webhookUrl,
      metrics: input.metrics,
      outbox: bridge.outbox.stats(),
      // Where the outbox and the send queue live.
      ...(input.redisUrl ? { redis: describeRedisUrl(input.redisUrl) } : { stateDir }),
    },
    'bridge listening',
  );
  const signal = await (input.stopSignal ?? waitForSignal());
  const started = Date.now();
  bridge.app.log.info({ signal, outbox: bridge.outbox.stats() }, 'shutting down');
  // A second signal while shutting down means "now": the journal already holds every accepted event.
  const force = () => process.exit(signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.failure);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  const deadline = setTimeout(() => {
    bridge.app.log.error(
      { timeoutMs: input.shutdownTimeout * 1000, outbox: bridge.outbox.stats() },
      'shutdown deadline passed: exiting with work in flight (pending events stay in the journal)',
    );
    process.exit(ExitCode.failure);
  }, input.shutdownTimeout * 1000);
  await bridge.close();
  clearTimeout(deadline);
  process.removeListener('SIGINT', force);
  process.removeListener('SIGTERM', force);
  bridge.app.log.info({ durationMs: Date.now() - started }, 'stopped');
  return signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.ok;
}
