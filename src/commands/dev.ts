import { type Command, Option } from 'commander';
import { contextOf } from '../cli.js';
import type { DevFlags } from '../dev/options.js';

export function registerDev(program: Command): void {
  program
    .command('dev')
    .description("run the project's adapter behind a local bridge and a supervised public tunnel")
    .option('--port <port>', 'bridge port (0 picks a free one)', '3000')
    .option('--host <host>', 'bridge interface', '127.0.0.1')
    .option('--subdomain <name>', 'ask localtunnel for this subdomain (kept across reconnects)')
    .option('--tunnel-host <url>', 'a self-hosted localtunnel server (default https://localtunnel.me)')
    .option('--tunnel-url <url>', 'use a tunnel you already run (ngrok, cloudflared) with this public URL')
    .option('--no-tunnel', 'no public URL: local only (the emulator still works)')
    .option('--emulator', 'use the embedded emulator even when a real respond.io channel is configured')
    .option('--no-inspector', 'do not serve the inspector page')
    .option('--canary-interval <seconds>', 'how often to probe the bridge through the public URL', '20')
    .addOption(
      new Option('--redis <url>', 'use the shared Redis outbox (as start --redis) instead of the file journal').env(
        'CUSTOM_CHANNEL_REDIS_URL',
      ),
    )
    .addHelpText(
      'after',
      `
Without a configured channel (config set channel-id / token, or RESPONDIO_CHANNEL_ID and
RESPONDIO_CHANNEL_TOKEN) dev starts the embedded respond.io emulator, and the mock provider for
the generic template, so everything runs offline. Edits to the adapter apply on the next request.
The banner shows what to paste into respond.io; it is printed again when the public URL changes.
--json prints NDJSON events instead (banner, exchange, tunnel, reload). Ctrl-C stops (exit 130).

Examples:
  $ custom-channel dev
  $ custom-channel dev --subdomain acme-sms-dev
  $ custom-channel dev --tunnel-url https://abc.ngrok.app
  $ custom-channel dev --no-tunnel --port 0 --json`,
    )
    .action(async (flags: DevFlags, command: Command) => {
      const { reporter } = contextOf(command);
      const { parseDevFlags } = await import('../dev/options.js');
      const options = parseDevFlags(flags);
      const { runDev } = await import('../dev/run.js');
      process.exitCode = await runDev({ ...options, cwd: process.cwd(), env: process.env }, reporter);
    });
}
