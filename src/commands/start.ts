import type { Command } from 'commander';
import type { StartFlags } from '../bridge/run-start.js';
import { envOption } from './env-option.js';

export function registerStart(program: Command): void {
  const command = program
    .command('start')
    .description("run the project's bridge in production mode (no tunnel, no emulator, JSON logs)");
  envOption(command, '--port <port>', 'port to listen on (default 3000; 0 picks a free one)', 'PORT');
  envOption(command, '--host <host>', 'interface to bind (default 0.0.0.0)', 'HOST');
  envOption(
    command,
    '--rate-limit <n>',
    'webhook posts to respond.io per second (respond.io allows 20)',
    'CUSTOM_CHANNEL_RATE_LIMIT',
  );
  envOption(command, '--log-level <level>', 'fatal, error, warn, info, debug or trace (default info)', 'LOG_LEVEL');
  envOption(
    command,
    '--state-dir <dir>',
    "folder for the outbox and every file the bridge writes (default: the project's .custom-channel/)",
    'CUSTOM_CHANNEL_STATE_DIR',
  );
  envOption(command, '--no-metrics', 'do not serve Prometheus metrics on /metrics', 'CUSTOM_CHANNEL_NO_METRICS');
  envOption(
    command,
    '--shutdown-timeout <seconds>',
    'after SIGTERM, how long in-flight work may take before the process exits anyway (default 10)',
    'CUSTOM_CHANNEL_SHUTDOWN_TIMEOUT',
  );
  envOption(
    command,
    '--ready-failing-after <seconds>',
    '/ready answers 503 once deliveries to respond.io have failed this long (default 60)',
    'CUSTOM_CHANNEL_READY_FAILING_AFTER',
  );
  envOption(
    command,
    '--ready-max-pending <n>',
    '/ready answers 503 while more events than this wait in the outbox (default 10000)',
    'CUSTOM_CHANNEL_READY_MAX_PENDING',
  );
  envOption(
    command,
    '--no-send-queue',
    'answer respond.io with the error when the provider does not take a message within the budget, instead of queueing it',
    'CUSTOM_CHANNEL_NO_SEND_QUEUE',
  );
  envOption(
    command,
    '--redis <url>',
    'share one outbox, send queue and rate budgets with other instances on this Redis (README "Several instances on Redis")',
    'CUSTOM_CHANNEL_REDIS_URL',
  );
  command
    .addHelpText(
      'after',
      `
Reads the adapter named by package.json "customChannel.adapter" (TypeScript is fine), provider
settings from .env and the environment, and the channel from RESPONDIO_CHANNEL_ID,
RESPONDIO_CHANNEL_TOKEN and RESPONDIO_WEBHOOK_URL (or \`custom-channel config\`). Events for
respond.io are journaled in <state dir>/outbox before the provider is answered; see
\`custom-channel outbox\`; with --redis, several instances share one outbox queue in Redis. A
message the provider does not take within /message's answer budget (5 s) is queued in <state dir>/sends
(in Redis with --redis, shared too) and retried (package.json "customChannel.send" sets queue,
budgetMs, maxAgeMs, maxAttempts, retryMaxMs). Logs are JSON lines on stdout (no query-string
value or secret in them). GET /health: alive; GET /ready: 200, or 503 with the reasons; GET
/metrics: Prometheus. SIGTERM stops gracefully (exit 0), Ctrl-C too (exit 130). Every flag has
the environment variable shown next to it; a flag given on the command line wins.

Examples:
  $ custom-channel start
  $ PORT=8080 custom-channel start --log-level debug
  $ CUSTOM_CHANNEL_STATE_DIR=/var/lib/custom-channel custom-channel start
  $ custom-channel start --host 127.0.0.1 --port 3000 --no-metrics
  $ CUSTOM_CHANNEL_REDIS_URL=redis://10.0.0.5:6379 custom-channel start`,
    )
    .action(async (flags: StartFlags) => {
      const { parseStartFlags, runStart } = await import('../bridge/run-start.js');
      const options = parseStartFlags(flags);
      try {
        process.exitCode = await runStart({ ...options, cwd: process.cwd(), env: process.env });
      } catch (error) {
        // A failed start closes what it opened; should anything else (an adapter's timer, a
        // socket) still hold the process, exit anyway once the error is printed.
        setTimeout(() => process.exit(process.exitCode ?? 1), 2000).unref();
        throw error;
      }
    });
}
