import { Argument, type Command, Option } from 'commander';
import { contextOf } from '../cli.js';
import { usageError } from '../errors.js';
import type { OutboxAction } from '../outbox/run-outbox.js';
import type { OutboxEntry } from '../outbox/types.js';
import type { QueuedSend } from '../send-queue/types.js';

interface OutboxFlags {
  dead?: boolean;
  pending?: boolean;
  stateDir?: string;
  yes?: boolean;
  sends?: boolean;
  redis?: string;
}

function describe(entry: OutboxEntry): string {
  const { event, contactId } = entry.item;
  const what = event.type === 'message_status' ? `status ${event.status.value}` : `${event.type} ${event.message.type}`;
  const when = new Date(entry.enqueuedAt).toISOString();
  const why = entry.reason ?? entry.lastError;
  return `${entry.id}  ${when}  ${contactId}  ${what}  mId ${event.mId}${why ? `\n    ${why}` : ''}`;
}

export function registerOutbox(program: Command): void {
  program
    .command('outbox')
    .description("show the bridge's undelivered events and dead letters; retry or purge them")
    .addArgument(new Argument('[action]', 'list, retry or purge').choices(['list', 'retry', 'purge']).default('list'))
    .argument('[id]', 'retry: the dead letter to retry (all when omitted)')
    .option('--dead', 'list: only dead letters; purge: dead letters (the default)')
    .addOption(new Option('--pending', 'purge: drop pending events instead of dead letters').conflicts('dead'))
    .addOption(
      new Option('--state-dir <dir>', "the bridge's state folder (start --state-dir)").env('CUSTOM_CHANNEL_STATE_DIR'),
    )
    .option('-y, --yes', 'purge: do not ask (needed when not on a terminal)')
    .option('--sends', 'list: only the send queue (messages respond.io handed over that the provider has not taken)')
    .addOption(
      new Option(
        '--redis <url>',
        "the shared Redis outbox and send queue of the project's channel (as start --redis)",
      ).env('CUSTOM_CHANNEL_REDIS_URL'),
    )
    .addHelpText(
      'after',
      `
Works on .custom-channel/outbox of the project in the current folder (or <state dir>/outbox). Listing is safe while the
bridge runs; retry and purge need the bridge stopped. A retried dead letter is delivered on the
next \`custom-channel start\` (or dev). With --redis (or CUSTOM_CHANNEL_REDIS_URL) it works on the
channel's shared queue (and shared send queue) in Redis instead, and retry/purge are safe while
the bridges run.

Examples:
  $ custom-channel outbox
  $ custom-channel outbox list --dead --json
  $ custom-channel outbox list --sends        # queued sends and failed ones
  $ custom-channel outbox retry              # every dead letter
  $ custom-channel outbox retry mb1x2y-3f
  $ custom-channel outbox purge --dead --yes`,
    )
    .action(async (action: OutboxAction, id: string | undefined, flags: OutboxFlags, command: Command) => {
      const { reporter } = contextOf(command);
      if (id !== undefined && action !== 'retry')
        throw usageError(`unexpected argument "${id}"`, 'only retry takes an id');
      if (flags.sends && action !== 'list') throw usageError('--sends works with list only', 'drop --sends');
      const { listSends, describeSend } = await import('../send-queue/list.js');
      if (flags.sends) {
        const sends = await listSends(process.cwd(), { redisUrl: flags.redis, env: process.env });
        reporter.emit({ action: 'list', sends });
        printSends(reporter, sends, describeSend, flags.dead);
        return;
      }
      const { runOutbox } = await import('../outbox/run-outbox.js');
      if (action === 'purge') {
        const { shouldPurge } = await import('../outbox/confirm-purge.js');
        const listing = await runOutbox({
          cwd: process.cwd(),
          action: 'list',
          dead: !flags.pending,
          stateDir: flags.stateDir,
        });
        const go = await shouldPurge({
          yes: flags.yes === true,
          interactive: process.stdin.isTTY === true && !reporter.json,
          count: (flags.pending ? listing.pending : listing.dead)?.length ?? 0,
          what: flags.pending ? 'pending event(s)' : 'dead letter(s)',
          ask: async (message) => (await import('../ui/prompts.js')).askConfirm(message),
        });
        if (!go) {
          reporter.info('nothing purged');
          return;
        }
      }
      const report = await runOutbox({
        cwd: process.cwd(),
        action,
        id,
        dead: flags.dead,
        pending: flags.pending,
        stateDir: flags.stateDir,
        redisUrl: flags.redis,
        env: process.env,
      });
      const sends =
        report.action === 'list'
          ? await listSends(process.cwd(), { redisUrl: flags.redis, env: process.env })
          : undefined;
      reporter.emit(sends ? { ...report, sends } : report);
      if (report.action === 'retry') {
        reporter.success(`${report.count} dead letter(s) moved back to pending`);
        return;
      }
      if (report.action === 'purge') {
        reporter.success(`${report.count} ${flags.pending ? 'pending event(s)' : 'dead letter(s)'} purged`);
        return;
      }
      if (report.pending) {
        reporter.info(`pending: ${report.pending.length}`);
        for (const entry of report.pending) reporter.info(`  ${describe(entry)}`);
      }
      reporter.info(`dead letters: ${report.dead?.length ?? 0}`);
      for (const entry of report.dead ?? []) reporter.info(`  ${describe(entry)}`);
      if (sends && sends.pending.length + sends.dead.length > 0) printSends(reporter, sends, describeSend, flags.dead);
      if (report.unreadable) {
        reporter.warn(
          `${report.unreadable} unreadable journal record(s) skipped (the bridge moves them to journal.quarantine.ndjson at start)`,
        );
      }
    });
}

function printSends(
  reporter: { info(line: string): void },
  sends: { pending: readonly QueuedSend[]; dead: readonly QueuedSend[] },
  describeSend: (send: QueuedSend) => string,
  deadOnly?: boolean,
): void {
  if (!deadOnly) {
    reporter.info(`queued sends (waiting for the provider): ${sends.pending.length}`);
    for (const send of sends.pending) reporter.info(`  ${describeSend(send)}`);
  }
  reporter.info(`failed sends (reported failed to respond.io): ${sends.dead.length}`);
  for (const send of sends.dead) reporter.info(`  ${describeSend(send)}`);
}
