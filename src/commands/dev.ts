import type { Command } from 'commander';
import { contextOf } from '../cli.js';
import type { DevFlags } from '../dev/options.js';
import { envNameOf, envOption } from './env-option.js';

export function registerDev(program: Command): void {
  const command = program
    .command('dev')
    .description("run the project's adapter behind a local bridge and a supervised public tunnel");
  const env = (flag: string) => envNameOf(flag, 'dev');
  envOption(command, '--port <port>', 'bridge port (0 picks a free one)', env('port'), { default: '3000' });
  envOption(command, '--host <host>', 'bridge interface', env('host'), { default: '127.0.0.1' });
  envOption(
    command,
    '--subdomain <name>',
    'ask localtunnel for this subdomain (kept across reconnects)',
    env('subdomain'),
  );
  envOption(
    command,
    '--tunnel-host <url>',
    'a self-hosted localtunnel server (default https://localtunnel.me)',
    env('tunnel-host'),
  );
  envOption(
    command,
    '--tunnel-url <url>',
    'use a tunnel you already run (ngrok, cloudflared) with this public URL',
    env('tunnel-url'),
  );
  envOption(command, '--no-tunnel', 'no public URL: local only (the emulator still works)', env('no-tunnel'));
  envOption(
    command,
    '--emulator',
    'use the embedded emulator even when a real respond.io channel is configured',
    env('emulator'),
  );
  envOption(command, '--no-inspector', 'do not serve the inspector page', env('no-inspector'));
  envOption(
    command,
    '--inspector-port <port>',
    'inspector port (the next free one when taken; 0 picks any)',
    'CUSTOM_CHANNEL_INSPECTOR_PORT',
    { default: '4040' },
  );
  envOption(
    command,
    '--canary-interval <seconds>',
    'how often to probe the bridge through the public URL',
    env('canary-interval'),
    { default: '20' },
  );
  envOption(
    command,
    '--state-dir <dir>',
    "folder for the outbox, emulator credentials and inspector history (default: the project's .custom-channel/)",
    'CUSTOM_CHANNEL_STATE_DIR',
  );
  envOption(
    command,
    '--redis <url>',
    'use the shared Redis outbox and send queue (as start --redis) instead of the files',
    'CUSTOM_CHANNEL_REDIS_URL',
  );
  command
    .addHelpText(
      'after',
      `
Without a configured channel (config set channel-id / token, or RESPONDIO_CHANNEL_ID and
RESPONDIO_CHANNEL_TOKEN) dev starts the embedded respond.io emulator, and the mock provider for
the generic template, so everything runs offline. Edits to the adapter apply on the next request.
The banner shows what to paste into respond.io; it is printed again when the public URL changes.
The adapter's ctx.log lines and the bridge's warnings (failing deliveries, dead letters) are
printed as they happen. --json prints NDJSON events instead (banner, exchange, tunnel, reload,
log). Every flag has the environment variable shown next to it. Ctrl-C stops (exit 130).

Examples:
  $ custom-channel dev
  $ custom-channel dev --subdomain acme-sms-dev
  $ custom-channel dev --tunnel-url https://abc.ngrok.app
  $ custom-channel dev --no-tunnel --port 0 --json`,
    )
    .action(async (flags: DevFlags & { stateDir?: string }, command: Command) => {
      const { reporter } = contextOf(command);
      const { parseDevFlags } = await import('../dev/options.js');
      const options = parseDevFlags(flags);
      const { runDev } = await import('../dev/run.js');
      // The project reads its state folder from this variable (flag or environment alike).
      const env = flags.stateDir ? { ...process.env, CUSTOM_CHANNEL_STATE_DIR: flags.stateDir } : process.env;
      process.exitCode = await runDev({ ...options, cwd: process.cwd(), env }, reporter);
    });
}
