import { type Command, Option } from 'commander';
import { contextOf } from '../cli.js';
import { idTypes } from '../contract/constants.js';
import type { EmulateFlags } from '../emulator/run.js';

export function registerEmulate(program: Command): void {
  program
    .command('emulate')
    .description("run the offline respond.io emulator: the channel's webhook, its /message calls and the Developer API")
    .option('--port <port>', 'port (0 picks a free one)', '3001')
    .option('--host <host>', 'interface', '127.0.0.1')
    .option('--allow-host <name...>', 'also accept this Host name (a tunnel or proxy in front of the emulator)')
    .option('--api-base-url <url>', "the integration server's API Base URL (messages go to <url>/message)")
    .addOption(new Option('--id-type <type>', "the channel's contact ID type").choices(idTypes).default('phone'))
    .option('--show-secrets', 'print tokens unmasked')
    .option('--persist', 'keep contacts and messages across restarts (.custom-channel/emulator-state.json)')
    .option('--strict', 'grade C rules and unknowns are errors (400), not warnings')
    .option('--state-dir <dir>', "where generated credentials are kept (default: the project's .custom-channel/)")
    .option('--message-timeout <ms>', 'how long to wait for /message (default 10000)')
    .option('--no-rate-limit', 'turn off the 20 requests/second webhook limit')
    .option('--latency <ms>', 'fault: delay every webhook answer')
    .option('--failure-rate <0..1>', 'fault: answer this share of webhook posts 503')
    .option('--force-429', 'fault: answer every webhook post 429 with Retry-After')
    .option('--force-5xx [status]', 'fault: answer every webhook post with a 5xx (default 503)')
    .addHelpText(
      'after',
      `
Credentials are generated once and kept (mode 0600) in .custom-channel/emulator.json inside a
project, else in the user config folder. Faults can be changed while running:
PUT /_emulator/faults. Live events: GET /_emulator/events (Server-Sent Events, ?since=<seq>).
--json prints NDJSON: first {"type":"ready",...}, then one emulator event per line.
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
