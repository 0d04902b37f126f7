import type { Command } from 'commander';
import { contextOf } from '../cli.js';
import { ExitCode } from '../errors.js';
import { parseDuration } from '../send/duration.js';

interface SimulateFlags {
  ownStack?: boolean;
  all?: boolean;
  list?: boolean;
  target?: string;
  token?: string;
  channelId?: string;
  contactId?: string;
  override: string[];
  authTimeout: string;
  eventWait: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      "replay respond.io's payloads (and your provider fixtures) against an integration server and check every answer",
    )
    .argument('[case...]', 'case names, prefixes such as outbound/, or JSON files')
    .option('--all', 'run every case')
    .option('--list', 'list the cases and exit')
    .option('--target <url>', "any integration server's base URL (default: start this project's bridge)")
    .option('--token <token>', 'the channel token the target expects (default: from config)')
    .option('--own-stack', "start a stack of its own even when this project's `dev` is running")
    .option('--channel-id <id>', 'channelId put in the payloads ({{channelId}})')
    .option('--contact-id <id>', 'contactId put in the payloads ({{contactId}})')
    .option('--override <path=value>', 'edit every request body, e.g. message.text="Hi" (repeatable)', collect, [])
    .option('--auth-timeout <duration>', 'a wrong token must be refused within this', '2s')
    .option('--event-wait <duration>', 'how long to wait for the events a case causes', '3s')
    .addHelpText(
      'after',
      `
Without --target, the cases go to the project's running \`dev\` session when there is one (they
show in dev's console and inspector), else to a bridge, emulator and stand-in started here.
Checks: status, mid-shape ({ "mId" } on success), wrong-token (401 in time), error-body
({ "error": { "message" } } on 4xx), events-valid and event-types (what reached respond.io;
only when simulate started the bridge itself). Placeholders in fixtures: {{mId}} {{now}}
{{contactId}} {{channelId}} {{uuid}}; header values may use {{hmac-sha256:ENV_NAME}}.
Exit code 1 when any check fails.

Examples:
  $ custom-channel simulate --all
  $ custom-channel simulate outbound/text auth/ --verbose
  $ custom-channel simulate --all --target http://localhost:3000 --token $TOKEN --json
  $ custom-channel simulate my-case.json --override message.text="Hello there"`,
    )
    .action(async (names: string[], flags: SimulateFlags, command: Command) => {
      const { reporter } = contextOf(command);
      const { installInterruptHandler } = await import('../send/interrupt.js');
      const removeInterruptHandler = installInterruptHandler();
      const { listSimulateCases, runSimulate } = await import('../simulate/run.js');
      const { renderCase } = await import('../ui/timeline.js');
      const { reportLogEntry } = await import('../ui/dev-console.js');
      if (flags.list) {
        const cases = listSimulateCases();
        reporter.emit(cases.map(({ name, leg, description }) => ({ name, leg, description })));
        for (const c of cases) reporter.info(`${c.name.padEnd(32)} ${reporter.style.dim(c.description)}`);
        return;
      }
      const report = await runSimulate({
        cases: names,
        all: flags.all,
        target: flags.target,
        token: flags.token,
        channelId: flags.channelId,
        contactId: flags.contactId,
        overrides: flags.override,
        authTimeoutMs: parseDuration(flags.authTimeout, '--auth-timeout', { minMs: 1, maxMs: 60_000 }),
        eventWaitMs: parseDuration(flags.eventWait, '--event-wait', { minMs: 0, maxMs: 5 * 60_000 }),
        ownStack: flags.ownStack,
        onSession: (line) => reporter.info(reporter.style.bold(line)),
        onLog: (entry) => reportLogEntry(entry, reporter),
        onCase: (result) => {
          for (const line of renderCase(result, reporter.style, reporter.verbose)) reporter.info(line);
        },
      });
      removeInterruptHandler();
      reporter.emit(report);
      if (!report.eventsObserved) {
        reporter.info(reporter.style.dim('events reaching respond.io were not observed (external --target)'));
      }
      const summary = `${report.passed} passed, ${report.failed} failed (${Math.round(report.durationMs)} ms, ${report.target})`;
      if (report.ok) reporter.success(summary);
      else {
        reporter.info(reporter.style.red(summary));
        process.exitCode = ExitCode.failure;
      }
    });
}
