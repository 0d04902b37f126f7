import { type Command, Option } from 'commander';
import { contextOf } from '../cli.js';
import { ExitCode } from '../errors.js';
import { scenarios } from '../mock-provider/types.js';
import { sendTypes } from '../send/constants.js';
import { parseDuration } from '../send/duration.js';
import { parseExpect } from '../send/statuses.js';

interface SendFlags {
  ownStack?: boolean;
  to?: string;
  type?: (typeof sendTypes)[number];
  attachment?: string;
  replies?: string;
  payload?: string;
  location?: string;
  expect?: string;
  timeout: string;
  scenario?: (typeof scenarios)[number];
  inbound?: boolean;
  live?: boolean;
}

export function registerSend(program: Command): void {
  program
    .command('send')
    .description('send a message as respond.io would and follow it through the bridge to the provider and back')
    .argument('[text]', 'the text (the title for --replies, the address for --location)')
    .option('--to <contactId>', 'the contact (phone number or custom ID; for --live also email:… or id:…)')
    .addOption(new Option('--type <type>', 'message type (inferred from the flags when omitted)').choices(sendTypes))
    .option('--attachment <url>', 'media URL for an image, video, audio or file')
    .option('--replies <a,b>', 'quick replies (comma-separated)')
    .option('--payload <file>', 'custom payload JSON file (or a whole respond.io message)')
    .option('--location <lat,lng>', 'a location message')
    .option('--expect <statuses>', 'statuses that must arrive, e.g. sent,delivered,read or failed')
    .option('--timeout <duration>', 'how long to wait for them (e.g. 3s, 500ms)', '10s')
    .addOption(new Option('--scenario <name>', "the mock provider's behaviour (offline)").choices(scenarios))
    .option('--inbound', 'the contact sends the message instead, followed into respond.io')
    .option('--live', 'start the message through the respond.io Developer API v2 (dev-api-* config)')
    .option('--own-stack', "start a stack of its own even when this project's `dev` is running")
    .addHelpText(
      'after',
      `
Offline (default), the message goes through the project's running \`dev\` session when there is
one (it shows in dev's console and inspector); otherwise, or with --own-stack, the project's
bridge runs here with the emulator and a stand-in provider (the mock provider for generic-http,
recorded fixtures for clicksend-sms, gupshup-whatsapp and telegram-bot, a simulated visitor for
webchat).
Exit code 0 only when every expected status arrived; 1 otherwise, naming what is missing.

Examples:
  $ custom-channel send "Your order has shipped" --to +60177872890 --expect sent,delivered,read
  $ custom-channel send "Hi" --to +60177872890 --scenario failed --expect failed
  $ custom-channel send --to +60177872890 --attachment https://example.com/a.jpg
  $ custom-channel send "Hello" --to +60177872890 --inbound
  $ custom-channel send "Hi" --to +60177872890 --live --expect sent,delivered --timeout 30s`,
    )
    .action(async (text: string | undefined, flags: SendFlags, command: Command) => {
      const { reporter } = contextOf(command);
      const { installInterruptHandler } = await import('../send/interrupt.js');
      const removeInterruptHandler = installInterruptHandler();
      const expect = flags.expect ? parseExpect(flags.expect) : undefined;
      const timeoutMs = parseDuration(flags.timeout);
      const { runSend } = await import('../send/run.js');
      const { renderHop, renderStatusFlow } = await import('../ui/timeline.js');
      const { reportLogEntry } = await import('../ui/dev-console.js');
      const { describeAnalysis } = await import('../send/statuses.js');
      const { createLiveLine, waitingText } = await import('../ui/live-line.js');
      // On a terminal only: "waiting for delivered, read (3 s / 10 s)", updated in place.
      const live = createLiveLine(process.stdout, !reporter.json);
      const seen = new Set<string>();
      let ticker: NodeJS.Timeout | undefined;
      let wait: { expect: string[]; timeoutMs: number; started: number } | undefined;
      const redraw = () => {
        if (!wait) return;
        const text = waitingText(wait.expect, seen, Date.now() - wait.started, wait.timeoutMs);
        if (text) live.set(reporter.style.dim(text));
        else live.stop();
      };
      const report = await runSend({
        to: flags.to,
        content: {
          text,
          type: flags.type,
          attachment: flags.attachment,
          replies: flags.replies,
          payload: flags.payload,
          location: flags.location,
        },
        expect,
        timeoutMs,
        scenario: flags.scenario,
        inbound: flags.inbound,
        live: flags.live,
        ownStack: flags.ownStack,
        stackOptions: { onLog: (entry) => live.print(() => reportLogEntry(entry, reporter)) },
        onStart: (line) => live.print(() => reporter.info(reporter.style.bold(line))),
        onHop: (hop) => live.print(() => reporter.info(renderHop(hop, reporter.style))),
        onWait: ({ expect: statuses, timeoutMs: limit }) => {
          wait = { expect: statuses, timeoutMs: limit, started: Date.now() };
          redraw();
          ticker = setInterval(redraw, 250);
          ticker.unref();
        },
        onStatus: (value) => {
          seen.add(value);
          redraw();
        },
      }).finally(() => {
        clearInterval(ticker);
        live.stop();
      });
      removeInterruptHandler();
      reporter.emit(report);
      if (report.direction === 'outbound') {
        reporter.info(`  status   ${renderStatusFlow(report.statuses, report.startedAt, reporter.style)}`);
      }
      for (const line of describeAnalysis(report.analysis)) reporter.info(`  ${line}`);
      for (const anomaly of report.anomalies ?? []) {
        reporter.info(reporter.style.yellow(`  respond.io (emulator) flagged ${anomaly.kind}: ${anomaly.message}`));
      }
      if (report.ok) reporter.success(report.summary);
      else {
        reporter.info(reporter.style.red(report.summary));
        process.exitCode = ExitCode.failure;
      }
    });
}
