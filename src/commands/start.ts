import { type Command, Option } from 'commander';
import type { StartFlags } from '../bridge/run-start.js';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description("run the project's bridge in production mode (no tunnel, no emulator, JSON logs)")
    .option('--port <port>', 'port to listen on (default: $PORT or 3000; 0 picks a free one)')
    .option('--host <host>', 'interface to bind (default: $HOST or 0.0.0.0)')
    .option('--rate-limit <n>', 'webhook posts to respond.io per second (respond.io allows 20)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace (default: $LOG_LEVEL or info)')
    .addOption(
      new Option('--redis <url>', 'share one outbox and rate budget with other instances on this Redis').env(
        'CUSTOM_CHANNEL_REDIS_URL',
      ),
    )
    .addHelpText(
      'after',
      `
Reads the adapter named by package.json "customChannel.adapter" (TypeScript is fine), provider
settings from .env and the environment, and the channel from RESPONDIO_CHANNEL_ID,
RESPONDIO_CHANNEL_TOKEN and RESPONDIO_WEBHOOK_URL (or \`custom-channel config\`). Events for
respond.io are journaled in .custom-channel/outbox before the provider is answered; see
\`custom-channel outbox\`. With --redis, several instances share one queue in Redis instead
(see README "Several instances on Redis"). SIGTERM stops gracefully (exit 0), Ctrl-C too (exit 130).

Examples:
  $ custom-channel start
  $ PORT=8080 custom-channel start --log-level debug
  $ custom-channel start --host 127.0.0.1 --port 3000
  $ CUSTOM_CHANNEL_REDIS_URL=redis://10.0.0.5:6379 custom-channel start`,
    )
    .action(async (flags: StartFlags) => {
      const { parseStartFlags, runStart } = await import('../bridge/run-start.js');
      const options = parseStartFlags(flags);
      process.exitCode = await runStart({ ...options, cwd: process.cwd(), env: process.env });
    });
}
