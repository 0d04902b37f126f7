/**
 * `custom-channel dev` in a terminal: starts the session, renders its events (human lines or
 * NDJSON), and on Ctrl-C shuts down within 2 s keeping the outbox, returning exit code 130.
 */
import { ExitCode } from '../errors.js';
import type { TunnelEvent } from '../tunnel/supervisor.js';
import { formatBanner, formatExchangeLine, formatNotice } from '../ui/dev-console.js';
import type { Reporter } from '../ui/output.js';
import type { DevEvent } from './events.js';
import type { DevOptions } from './session.js';

/** Shutdown budget after Ctrl-C; the journal is on disk already, so a forced exit loses nothing. */
const SHUTDOWN_DEADLINE_MS = 1_800;

function tunnelNotice(event: TunnelEvent): { text: string; level: 'info' | 'warn' | 'debug' } | undefined {
  switch (event.type) {
    case 'opening':
      return { text: `tunnel: opening${event.subdomain ? ` (asking for ${event.subdomain})` : ''}…`, level: 'debug' };
    case 'open':
      return event.changed ? undefined : { text: `tunnel: reopened at the same URL ${event.url}`, level: 'info' };
    case 'open-failed':
      return { text: `tunnel: ${event.error}; retrying in ${(event.retryInMs / 1000).toFixed(1)} s`, level: 'warn' };
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
    case 'stopping':
      reporter.info(style.dim(`\n${event.signal}: stopping…`));
      break;
    case 'stopped':
      reporter.info(style.dim(`stopped in ${event.durationMs} ms; pending events stay in ${event.outbox}`));
      break;
  }
}

/**
 * Runs dev until SIGINT or SIGTERM; resolves with the exit code (130).
 * @example process.exitCode = await runDev({ ...parseDevFlags(flags), cwd, env }, reporter)
 */
export async function runDev(options: Omit<DevOptions, 'onEvent'>, reporter: Reporter): Promise<number> {
  // Listen before starting: a Ctrl-C during start-up still closes what has started.
  const stop = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const { startDev } = await import('./session.js');
  const session = await startDev({ ...options, onEvent: (event) => renderDevEvent(event, reporter) });
  const signal = await stop;
  // A second Ctrl-C means now.
  process.once('SIGINT', () => process.exit(ExitCode.interrupted));
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
