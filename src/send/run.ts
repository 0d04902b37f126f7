/**
 * `runSend`: the service behind `custom-channel send`. Offline it starts the project's bridge
 * with the emulator and a stand-in provider and follows one message across both legs; with
 * `live` it goes through the Developer API v2 (respond.io's, or the emulator's `/v2`).
 */
import type { StatusValue } from '../contract/constants.js';
import type { Message } from '../contract/messages.js';
import { CliError, usageError } from '../errors.js';
import type { Scenario } from '../mock-provider/types.js';
import { formatDuration } from './duration.js';
import { runLiveSend } from './live.js';
import { buildSendMessage, type SendMessageInput } from './message.js';
import type { LocalStack, StackOptions } from './stack.js';
import type { Hop, Timeline } from './timeline.js';

export interface SendOptions {
  /** The contact: phone number or custom ID (for `live`, also `email:…`/`id:…`). */
  to?: string;
  /** The message, ready-made, or built from `send`'s flags. */
  message?: Message;
  content?: SendMessageInput;
  /** Statuses that must arrive; default `sent,delivered,read` as far as the adapter reports them. */
  expect?: StatusValue[];
  timeoutMs?: number;
  scenario?: Scenario;
  /** The contact sends instead (offline only). */
  inbound?: boolean;
  live?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Developer API settings for `live` (default: from config). */
  devApi?: { url?: string; token?: string; channelId?: number };
  /** Reuse a running local stack instead of starting one (demo, benchmarks). */
  stack?: LocalStack;
  /** Start a stack of its own even when the project's `dev` is running. */
  ownStack?: boolean;
  stackOptions?: StackOptions;
  onStart?(line: string): void;
  onHop?(hop: Hop): void;
  /** Offline outbound: the statuses awaited, then each one as it arrives. */
  onWait?(wait: { expect: StatusValue[]; timeoutMs: number }): void;
  onStatus?(value: StatusValue): void;
}

export interface SendReport extends Timeline {
  mode: 'offline' | 'live';
  /** Offline: the running `dev` session's pid when the message went through it. */
  devSession?: { pid: number; bridgeUrl: string };
  direction: 'outbound' | 'inbound';
  to: string;
  scenario?: Scenario;
  message: Message;
  ok: boolean;
  /** One line: what happened. */
  summary: string;
}

const DEFAULT_EXPECT: StatusValue[] = ['sent', 'delivered', 'read'];

/**
 * Sends one message and follows it.
 * @example const report = await runSend({ to: '+60177872890', content: { text: 'Hi' }, expect: ['sent', 'delivered', 'read'] })
 */
export async function runSend(options: SendOptions): Promise<SendReport> {
  const message = options.message ?? buildSendMessage(options.content ?? {});
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (options.live) {
    if (options.inbound) throw usageError('--inbound cannot be combined with --live', 'drop one of them');
    return sendLive(options, message, timeoutMs);
  }
  const [{ followOutbound, followInbound }, { openStack, sessionLine }] = await Promise.all([
    import('./stack.js'),
    import('./session-stack.js'),
  ]);
  const stack =
    options.stack ??
    (await openStack({ cwd: options.cwd, env: options.env, ownStack: options.ownStack, ...options.stackOptions }));
  if (!options.stack && stack.session) options.onStart?.(sessionLine(stack.session));
  try {
    const to = options.to ?? stack.defaultContact;
    if (options.inbound) {
      if (message.type !== 'text') throw usageError('--inbound sends text only', 'pass the text as the argument');
      options.onStart?.(`${to} sends "${message.text}" through the provider`);
      const timeline = await followInbound(stack, { from: to, text: message.text, timeoutMs, onHop: options.onHop });
      const ok = timeline.analysis.ok;
      return {
        ...timeline,
        mode: 'offline',
        ...devSessionOf(stack),
        direction: 'inbound',
        to,
        message,
        ok,
        summary: ok
          ? `inbound message reached respond.io in ${formatDuration(timeline.totalMs)}`
          : `inbound message did not reach respond.io within ${formatDuration(timeoutMs)}`,
      };
    }
    if (stack.channel.idType === 'custom' && !(await stack.emulator.listContacts()).some((c) => c.contactId === to)) {
      // respond.io rule: on a Custom ID channel the business cannot send the first message.
      options.onStart?.(`${to} writes first (on a Custom ID channel respond.io cannot start the conversation)`);
      const hello = await followInbound(stack, { from: to, text: 'Hi', timeoutMs, onHop: options.onHop });
      if (!hello.analysis.ok) {
        throw new CliError(`the contact's first message did not reach respond.io within ${formatDuration(timeoutMs)}`);
      }
    }
    const expect = options.expect ?? DEFAULT_EXPECT.filter((s) => stack.capabilities.statuses.includes(s));
    const scenario = options.scenario;
    if (scenario) await stack.setScenario(to, scenario);
    const unreported = expect.filter((s) => !stack.capabilities.statuses.includes(s));
    const note = unreported.length
      ? ` (the adapter declares it never reports ${unreported.join(', ')}: expect a timeout)`
      : '';
    options.onStart?.(
      `respond.io sends a ${message.type} message to ${to}${scenario ? ` (scenario ${scenario})` : ''}, expecting ${expect.join(', ')}${note}`,
    );
    options.onWait?.({ expect, timeoutMs });
    const timeline = await followOutbound(stack, {
      to,
      message,
      expect,
      timeoutMs,
      onHop: options.onHop,
      onStatus: options.onStatus,
    });
    return { ...finish(timeline, { mode: 'offline', to, scenario, message, timeoutMs }), ...devSessionOf(stack) };
  } finally {
    if (!options.stack) await stack.close();
  }
}

function devSessionOf(stack: LocalStack): Pick<SendReport, 'devSession'> {
  return stack.session ? { devSession: { pid: stack.session.pid, bridgeUrl: stack.session.bridgeUrl } } : {};
}

async function sendLive(options: SendOptions, message: Message, timeoutMs: number): Promise<SendReport> {
  const { resolveConfig } = await import('../config/resolve.js');
  const { values } = await resolveConfig({ cwd: options.cwd, env: options.env });
  const url = options.devApi?.url ?? values.devApiUrl;
  const token = options.devApi?.token ?? values.devApiToken;
  const channelId = options.devApi?.channelId ?? (values.devApiChannelId ? Number(values.devApiChannelId) : undefined);
  const missing = [!token && 'dev-api-token', !channelId && 'dev-api-channel-id'].filter(Boolean);
  if (!url || missing.length > 0) {
    throw new CliError(`--live needs ${missing.join(' and ')}`, {
      hint: `set it with \`custom-channel config set ${missing[0]} <value>\` (or RESPONDIO_API_TOKEN / RESPONDIO_API_CHANNEL_ID)`,
      exitCode: 2,
    });
  }
  if (!options.to) throw usageError('--to is required with --live', 'pass --to +60177872890 (or email:…, id:…)');
  const expect = options.expect ?? DEFAULT_EXPECT;
  options.onStart?.(
    `Developer API ${url}: sending a ${message.type} message to ${options.to}, expecting ${expect.join(', ')}`,
  );
  const result = await runLiveSend({
    baseUrl: url,
    apiToken: token as string,
    channelId: channelId as number,
    to: options.to,
    message,
    expect,
    timeoutMs,
    onHop: options.onHop,
  });
  return finish(result, { mode: 'live', to: options.to, message, timeoutMs });
}

function finish(
  timeline: Timeline,
  info: { mode: SendReport['mode']; to: string; scenario?: Scenario; message: Message; timeoutMs: number },
): SendReport {
  const { analysis } = timeline;
  let summary: string;
  if (analysis.ok && analysis.failedReason !== undefined) {
    summary = `failed as expected in ${formatDuration(timeline.totalMs)}: ${analysis.failedReason}`;
  } else if (analysis.ok) {
    summary = `${analysis.expected.join(', ')}: all arrived in ${formatDuration(timeline.totalMs)}`;
  } else if (analysis.unexpected.length > 0) summary = `failed: ${analysis.failedReason ?? 'no reason given'}`;
  else summary = `missing ${analysis.missing.join(', ')} after ${formatDuration(info.timeoutMs)}`;
  return { ...timeline, ...info, direction: 'outbound', ok: analysis.ok, summary };
}
