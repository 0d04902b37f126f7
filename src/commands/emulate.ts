import type { Command } from 'commander';
import { contextOf } from '../cli.js';
import { idTypes } from '../contract/constants.js';
import type { EmulateFlags } from '../emulator/run.js';
import { envNameOf, envOption } from './env-option.js';

export function registerEmulate(program: Command): void {
  const command = program
    .command('emulate')
    .description(
      "run the offline respond.io emulator: the channel's webhook, its /message calls and the Developer API",
    );
  const env = (flag: string) => envNameOf(flag, 'emulator');
  envOption(command, '--port <port>', 'port (0 picks a free one)', env('port'), { default: '3001' });
  envOption(command, '--host <host>', 'interface', env('host'), { default: '127.0.0.1' });
  envOption(
    command,
    '--allow-host <name...>',
    'also accept this Host name (a tunnel or proxy in front of the emulator)',
    env('allow-host'),
  );
  envOption(
    command,
    '--api-base-url <url>',
    "the integration server's API Base URL (messages go to <url>/message)",
    env('api-base-url'),
  );
  envOption(command, '--id-type <type>', "the channel's contact ID type", env('id-type'), {
    choices: idTypes,
    default: 'phone',
  });
  envOption(command, '--show-secrets', 'print tokens unmasked', env('show-secrets'));
  envOption(
    command,
    '--persist',
    'keep contacts and messages across restarts (.custom-channel/emulator-state.json)',
    env('persist'),
  );
  envOption(command, '--strict', 'grade C rules and unknowns are errors (400), not warnings', env('strict'));
  envOption(
    command,
    '--state-dir <dir>',
    "where generated credentials are kept (default: the project's .custom-channel/)",
    'CUSTOM_CHANNEL_STATE_DIR',
  );
  envOption(command, '--message-timeout <ms>', 'how long to wait for /message (default 10000)', env('message-timeout'));
  envOption(
    command,
    '--max-messages <n>',
    'messages kept in memory; the oldest beyond it are forgotten (default 100000)',
    env('max-messages'),
  );
  envOption(command, '--no-rate-limit', 'turn off the 20 requests/second webhook limit', env('no-rate-limit'));
  envOption(command, '--latency <ms>', 'fault: delay every webhook answer', env('latency'));
  envOption(command, '--failure-rate <0..1>', 'fault: answer this share of webhook posts 503', env('failure-rate'));
  envOption(command, '--force-429', 'fault: answer every webhook post 429 with Retry-After', env('force-429'));
  envOption(
    command,
    '--force-5xx [status]',
    'fault: answer every webhook post with a 5xx (default 503)',
    env('force-5xx'),
  );
  command
    .addHelpText(
      'after',
      `
Credentials are generated once and kept (mode 0600) in .custom-channel/emulator.json inside a
project, else in the user config folder. Faults can be changed while running:
PUT /_emulator/faults. Live events: GET /_emulator/events (Server-Sent Events, ?since=<seq>).
--json prints NDJSON: first {"type":"ready",...}, then one emulator event per line. Every flag
has the environment variable shown next to it; a flag on the command line wins.
Ctrl-C stops (exit 130).

Examples:
  $ custom-channel emulate --api-base-url http://127.0.0.1:3000
  $ custom-channel emulate --port 0 --json
  $ custom-channel emulate --id-type custom --persist --strict
  $ custom-channel emulate --failure-rate 0.3 --latency 200`,
    )
    .action(async (flags: EmulateFlags, command: Command) => {
      const { reporter } = contextOf(command);
      const { parseEmulateFlags, runEmulate } = await import('../emulator/run.js');
      process.exitCode = await runEmulate(parseEmulateFlags(flags), reporter, process.cwd());
    });
}
