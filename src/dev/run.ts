/**
 * `custom-channel dev` in a terminal: starts the session, renders its events (human lines or
 * NDJSON), and on Ctrl-C shuts down within 2 s keeping the outbox, returning exit code 130.
 */
import { ExitCode } from '../errors.js';
import type { TunnelEvent } from '../tunnel/supervisor.js';
import { formatBanner, formatExchangeLine, formatLogLine, formatNotice } from '../ui/dev-console.js';
import type { Reporter } from '../ui/output.js';
import type { DevEvent } from './events.js';
import type { DevOptions } from './session.js';

/** Shutdown budget after Ctrl-C; the journal is on disk already, so a forced exit loses nothing. */
const SHUTDOWN_DEADLINE_MS = 1_800;
/** Signals this soon after the first are echoes (see `untilSignal`), not a second Ctrl-C. */
const REPEAT_GRACE_MS = 500;

function tunnelNotice(event: TunnelEvent): { text: string; level: 'info' | 'warn' | 'debug' } | undefined {
  switch (event.type) {
    case 'opening':
      return { text: `tunnel: opening${event.subdomain ? ` (asking for ${event.subdomain})` : ''}…`, level: 'debug' };
    case 'open':
      return event.changed ? undefined : { text: `tunnel: reopened at the same URL ${event.url}`, level: 'info' };
    case 'open-failed':
      return {
        text: `tunnel: ${event.error}; retrying in ${(event.retryInMs / 1000).toFixed(1)} s${event.hint ? `\n  ${event.hint}` : ''}`,
        level: 'warn',
      };
    case 'down':
      return { text: `tunnel down (${event.reason}); opening a new one`, level: 'warn' };
    case 'canary-failed':
      return { text: `tunnel check failed: ${event.error} (${event.consecutive} in a row)`, level: 'warn' };
    case 'canary-ok':
      return { text: `tunnel check ok in ${event.latencyMs} ms`, level: 'debug' };
    case 'closed':
      return undefined;
  }
}

/** Renders one event for humans (the Reporter drops these in --json mode) and as NDJSON. */
export function renderDevEvent(event: DevEvent, reporter: Reporter): void {
  reporter.emit(event);
  if (reporter.json) return;
  const style = reporter.style;
  switch (event.type) {
    case 'banner':
      for (const line of formatBanner(event.banner, style)) reporter.info(line);
      break;
    case 'exchange':
      reporter.info(formatExchangeLine(event.exchange, style));
      break;
    case 'tunnel': {
      const notice = tunnelNotice(event.event);
      if (!notice) break;
      if (notice.level === 'debug') reporter.debug(notice.text);
      else reporter.info(formatNotice(notice.text, notice.level, style));
      break;
    }
    case 'reload':
      reporter.info(
        event.ok
          ? formatNotice(`adapter reloaded: ${event.name} (${event.durationMs} ms)`, 'info', style)
          : formatNotice(`adapter edit not loaded, still serving the previous one: ${event.error}`, 'warn', style),
      );
      break;
    case 'ready':
      reporter.debug(`bridge ${event.bridgeUrl}${event.emulatorUrl ? `, emulator ${event.emulatorUrl}` : ''}`);
      break;
    case 'warning':
      reporter.warn(event.message);
      break;
    case 'log':
      if (event.level === 'debug' || event.level === 'trace') reporter.debug(formatLogLine(event, reporter.style));
      else reporter.info(formatLogLine(event, reporter.style));
      break;
    case 'stopping':
      reporter.info(style.dim(`\n${event.signal}: stopping…`));
      break;
    case 'stopped':
      reporter.info(style.dim(`stopped in ${event.durationMs} ms; pending events stay in ${event.outbox}`));
      break;
  }
}

/**
 * Starts the session and resolves on the first SIGINT/SIGTERM. The listeners stay installed
 * for the life of the process: conf's exit hook (when-exit) re-raises the signal after its
 * own `once` listener, and with no listener left that re-raised signal would kill us before
 * the shutdown. A repeat within `REPEAT_GRACE_MS` is that echo; a later one is a user's
 * second Ctrl-C and means "now".
 */
async function untilSignal<T>(start: () => Promise<T>): Promise<{ signal: NodeJS.Signals; started: T }> {
  let first: number | undefined;
  let wake!: (name: NodeJS.Signals) => void;
  const stop = new Promise<NodeJS.Signals>((resolve) => {
    wake = resolve;
  });
  const onSignal = (name: NodeJS.Signals) => {
    if (first === undefined) {
      first = Date.now();
      wake(name);
    } else if (Date.now() - first > REPEAT_GRACE_MS) process.exit(ExitCode.interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Listening before start-up: a Ctrl-C meanwhile still closes what has started.
  const started = await start();
  return { signal: await stop, started };
}

/**
 * Runs dev until SIGINT or SIGTERM; resolves with the exit code (130).
 * @example process.exitCode = await runDev({ ...parseDevFlags(flags), cwd, env }, reporter)
 */
export async function runDev(options: Omit<DevOptions, 'onEvent'>, reporter: Reporter): Promise<number> {
  const { signal, started: session } = await untilSignal(async () => {
    const { startDev } = await import('./session.js');
    return startDev({ ...options, onEvent: (event) => renderDevEvent(event, reporter) });
  });
  const started = Date.now();
  renderDevEvent({ type: 'stopping', signal }, reporter);
  const deadline = setTimeout(() => {
    reporter.warn('shutdown took too long; exiting now (the outbox journal is on disk)');
    process.exit(ExitCode.interrupted);
  }, SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  await session.close();
  clearTimeout(deadline);
  renderDevEvent({ type: 'stopped', outbox: session.outboxDir, durationMs: Date.now() - started }, reporter);
  return ExitCode.interrupted;
}
