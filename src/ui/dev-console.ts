/**
 * How `dev` looks in a terminal: the banner with what to paste into respond.io, and one line
 * per exchange. Pure formatting from data with an injected chalk instance (the Reporter's),
 * so tests can render without colour.
 */
import type { ChalkInstance } from 'chalk';
import type { BridgeLogEntry } from '../bridge/logging.js';
import type { Banner } from '../dev/banner.js';
import type { Exchange } from '../exchange.js';
import type { Reporter } from './output.js';

/** The banner as lines of text. */
export function formatBanner(banner: Banner, style: ChalkInstance): string[] {
  const label = (text: string) => style.bold(text.padEnd(18));
  const lines = [
    '',
    style.bold.cyan(`custom-channel dev: ${banner.adapter}`) +
      style.dim(
        banner.mode === 'emulator' ? '  (offline: embedded respond.io emulator)' : '  (real respond.io channel)',
      ),
    '',
  ];
  if (banner.mode === 'respondio') {
    lines.push(
      style.dim('Paste into respond.io (Settings > Channels > your Custom Channel):'),
      `  ${label('API Base URL')}${style.green(banner.apiBaseUrl)}  ${style.dim('(respond.io appends /message)')}`,
      style.dim('From respond.io, configured here:'),
      `  ${label('Channel ID')}${banner.channelId}`,
      `  ${label('API Token')}${banner.token} ${style.dim(`(from ${banner.tokenSource}; respond.io sends it to /message, the bridge sends it to the webhook)`)}`,
      `  ${label('Webhook URL')}${banner.webhookUrl} ${style.dim('(the bridge posts events here)')}`,
    );
  } else {
    lines.push(
      style.dim('The emulator plays respond.io; with a real channel you would paste the API Base URL there:'),
      `  ${label('API Base URL')}${style.green(banner.apiBaseUrl)}  ${style.dim('(respond.io appends /message)')}`,
      `  ${label('Channel ID')}${banner.channelId}`,
      `  ${label('API Token')}${banner.token} ${style.dim('(emulator-generated; used both ways as Bearer)')}`,
      `  ${label('Webhook URL')}${banner.webhookUrl} ${style.dim('(the emulator; the bridge posts events here)')}`,
      style.dim('  For a real channel: custom-channel config set channel-id <id>, then config set token <token>'),
    );
  }
  if (banner.localOnly)
    lines.push(style.yellow('  No public URL (--no-tunnel, or the tunnel is down): reachable from this machine only.'));
  if (banner.providerWebhooks.length > 0) lines.push(style.dim('Give your provider:'));
  for (const url of banner.providerWebhooks) lines.push(`  ${label('Provider webhook')}${url}`);
  lines.push(style.dim('Local:'));
  if (banner.inspectorUrl) lines.push(`  ${label('Inspector')}${style.green(banner.inspectorUrl)}`);
  if (banner.providerUrl) lines.push(`  ${label('Mock provider')}${banner.providerUrl}`);
  if (banner.emulatorUrl) lines.push(`  ${label('Emulator')}${banner.emulatorUrl}/_emulator/`);
  lines.push(`  ${label('Bridge')}${banner.bridgeUrl}`, '', style.dim('Ctrl-C to stop. Traffic:'));
  return lines;
}

const arrows: Record<string, string> = {
  'respondio:in': 'respond.io → bridge',
  'respondio:out': 'bridge → respond.io',
  'provider:in': 'provider → bridge',
  'provider:out': 'bridge → provider',
};

function routeOf(exchange: Exchange): string {
  if (exchange.direction === 'in') return exchange.url;
  try {
    const url = new URL(exchange.url);
    return url.pathname + url.search;
  } catch {
    return exchange.url;
  }
}

function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/**
 * One line per exchange: time, direction, method and route, status, latency, message type, mId.
 * @example formatExchangeLine(x, style) // '12:00:01 respond.io → bridge  POST /message  200  12 ms  text  mId=abc'
 */
export function formatExchangeLine(exchange: Exchange, style: ChalkInstance): string {
  const code = exchange.status;
  const status =
    code >= 200 && code < 300
      ? style.green(String(code))
      : code >= 400 && code < 500
        ? style.yellow(String(code))
        : style.red(code === 0 ? 'ERR' : String(code));
  const parts = [
    style.dim(time(exchange.time)),
    (arrows[`${exchange.leg}:${exchange.direction}`] ?? `${exchange.leg} ${exchange.direction}`).padEnd(19),
    `${exchange.method} ${routeOf(exchange)}`,
    status,
    style.dim(`${Math.round(exchange.latencyMs)} ms`),
  ];
  if (exchange.messageType) parts.push(exchange.messageType);
  if (exchange.mId) parts.push(style.dim(`mId=${exchange.mId}`));
  if (exchange.error) parts.push(style.red(exchange.error));
  return parts.join('  ');
}

/** A one-line tunnel notice (down, retrying, canary failures). */
export function formatNotice(text: string, level: 'info' | 'warn', style: ChalkInstance): string {
  return `${style.dim(time(Date.now()))}  ${level === 'warn' ? style.yellow(text) : style.cyan(text)}`;
}

/** Fields of a log line worth a glance in a terminal (scalars only; objects are in --json). */
function fieldsOf(data: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (key === 'err' && value && typeof (value as { message?: unknown }).message === 'string') {
      parts.push(`err=${(value as { message: string }).message}`);
      continue;
    }
    if (value === undefined || value === null || typeof value === 'object') continue;
    parts.push(`${key}=${String(value)}`);
  }
  return parts.join(' ');
}

/**
 * One bridge log line (the adapter's `ctx.log`, a failing delivery) for the console.
 * @example formatLogLine({ level: 'warn', time, msg: 'PROVIDER_WEBHOOK_SECRET is not set', data: {} }, style) // '12:00:01  warn   PROVIDER_WEBHOOK_SECRET is not set'
 */
export function formatLogLine(entry: BridgeLogEntry, style: ChalkInstance): string {
  const level = entry.level.padEnd(5);
  const painted =
    entry.level === 'warn'
      ? style.yellow(level)
      : entry.level === 'error' || entry.level === 'fatal'
        ? style.red(level)
        : style.cyan(level);
  const fields = fieldsOf(entry.data);
  return [style.dim(time(entry.time)), painted, entry.msg, fields ? style.dim(fields) : ''].filter(Boolean).join('  ');
}

/**
 * A bridge log line in a one-shot command (send, simulate, demo): warnings and errors on stderr
 * in every mode (stdout keeps its one JSON document under --json), the rest with --verbose.
 */
export function reportLogEntry(entry: BridgeLogEntry, reporter: Reporter): void {
  const fields = fieldsOf(entry.data);
  const text = `bridge: ${entry.msg}${fields ? `  (${fields})` : ''}`;
  if (entry.level === 'warn' || entry.level === 'error' || entry.level === 'fatal') reporter.warn(text);
  else if (entry.level === 'info') reporter.debug(text);
}
