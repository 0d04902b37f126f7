/**
 * `custom-channel emulate`: flags into EmulatorOptions, the ready banner (masked secrets unless
 * `--show-secrets`), one line per event (NDJSON with `--json`), and a clean stop on
 * SIGINT/SIGTERM within 2 s (exit 130 after Ctrl-C, 0 after SIGTERM).
 */
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { idTypes } from '../contract/constants.js';
import { problemsOf } from '../contract/problems.js';
import { ExitCode, usageError } from '../errors.js';
import { parseAllowedHosts } from '../lib/local-guard.js';
import { findProjectRoot, STATE_DIR } from '../project.js';
import { maskSecret } from '../secrets.js';
import { renderEvent } from '../ui/emulator-events.js';
import type { Reporter } from '../ui/output.js';
import { startEmulator } from './server.js';
import type { EmulatorHandle, EmulatorOptions } from './types.js';

/** Shutdown budget after a signal; past it the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 1800;
export const DEFAULT_EMULATOR_PORT = 3001;
const STATE_FILE = 'emulator-state.json';

export interface EmulateFlags {
  port?: string;
  host?: string;
  allowHost?: string[];
  apiBaseUrl?: string;
  idType?: string;
  showSecrets?: boolean;
  persist?: boolean;
  strict?: boolean;
  stateDir?: string;
  messageTimeout?: string;
  maxMessages?: string;
  rateLimit?: boolean;
  latency?: string;
  failureRate?: string;
  force429?: boolean;
  force5xx?: string | boolean;
}

const int = (what: string) =>
  z.coerce.number({ error: `${what} must be a number` }).int(`${what} must be a whole number`);

const FlagsSchema = z.object({
  port: int('--port').min(0).max(65535).default(DEFAULT_EMULATOR_PORT),
  host: z.string().min(1).default('127.0.0.1'),
  allowHost: z.array(z.string().min(1)).default([]),
  apiBaseUrl: z.url({ protocol: /^https?$/, error: '--api-base-url must be an http(s) URL' }).optional(),
  idType: z.enum(idTypes, { error: '--id-type must be phone or custom' }).default('phone'),
  showSecrets: z.boolean().default(false),
  persist: z.boolean().default(false),
  strict: z.boolean().default(false),
  stateDir: z.string().min(1).optional(),
  messageTimeout: int('--message-timeout').min(1).optional(),
  maxMessages: int('--max-messages').min(1).max(10_000_000).optional(),
  rateLimit: z.boolean().default(true),
  latency: int('--latency').min(0).default(0),
  failureRate: z.coerce.number({ error: '--failure-rate must be a number' }).min(0).max(1).default(0),
  force429: z.boolean().default(false),
  force5xx: z.union([z.literal(true), int('--force-5xx').min(500).max(599)]).optional(),
});

export type EmulateInput = z.infer<typeof FlagsSchema> & { showSecrets: boolean };

/** What each numeric flag takes, named when a value is out of range. */
const RANGES: Record<string, string> = {
  port: '0..65535 (0 picks a free port)',
  messageTimeout: '1 or more (milliseconds)',
  latency: '0 or more (milliseconds)',
  failureRate: '0..1 (0.3 fails 30% of webhook posts)',
  force5xx: '500..599',
};

/** Checks the flags' meaning; throws a usage error (exit 2) naming the flag. */
export function parseEmulateFlags(flags: EmulateFlags): EmulateInput {
  const parsed = FlagsSchema.safeParse(flags);
  if (!parsed.success) {
    const [problem] = problemsOf(parsed.error, flags);
    const flag = `--${problem.path.replace(/[A-Z]|(?<![0-9])[0-9]/g, (c) => `-${c.toLowerCase()}`)}`;
    const range = RANGES[problem.path];
    const given = (flags as Record<string, unknown>)[problem.path];
    if (range) throw usageError(`${flag} ${String(given)}: must be ${range}`);
    throw usageError(problem.message.startsWith('--') ? problem.message : `${flag}: ${problem.message}`);
  }
  return parsed.data;
}

/** Where credentials live: the project's `.custom-channel/`, else the user config folder. */
export async function defaultStateDir(cwd: string): Promise<string> {
  const root = findProjectRoot(cwd);
  if (root) return join(root, STATE_DIR);
  const { openUserStore } = await import('../config/resolve.js');
  return dirname((await openUserStore()).path);
}

/** The EmulatorOptions a parsed command line asks for. */
export async function emulatorOptionsOf(input: EmulateInput, cwd: string): Promise<EmulatorOptions> {
  const stateDir = input.stateDir ?? (await defaultStateDir(cwd));
  return {
    port: input.port,
    host: input.host,
    allowedHosts: parseAllowedHosts(input.allowHost),
    stateDir,
    channels: [{ idType: input.idType, ...(input.apiBaseUrl ? { apiBaseUrl: input.apiBaseUrl } : {}) }],
    ...(input.persist ? { persistFile: join(stateDir, STATE_FILE) } : {}),
    strict: input.strict,
    ...(input.messageTimeout ? { messageTimeoutMs: input.messageTimeout } : {}),
    ...(input.maxMessages ? { maxMessages: input.maxMessages } : {}),
    rateLimitPerSecond: input.rateLimit ? undefined : false,
    faults: {
      latencyMs: input.latency,
      failureRate: input.failureRate,
      force429: input.force429,
      force5xx: input.force5xx ?? false,
    },
  };
}

/** The ready object (`--json`'s first line); secrets masked unless `showSecrets`. */
export function readyObject(emulator: EmulatorHandle, showSecrets: boolean) {
  const secret = (value: string) => (showSecrets ? value : maskSecret(value));
  const channels = emulator.channels.map((c) => ({
    channelId: c.channelId,
    numericId: c.numericId,
    token: secret(c.token),
    idType: c.idType,
    apiBaseUrl: c.apiBaseUrl ?? null,
  }));
  return {
    type: 'ready' as const,
    url: emulator.url,
    webhookUrl: emulator.webhookUrl,
    devApiUrl: emulator.devApiUrl,
    devApiToken: secret(emulator.devApiToken),
    inspectionUrl: `${emulator.url}/_emulator/`,
    eventsUrl: `${emulator.url}/_emulator/events`,
    channel: channels[0],
    channels,
  };
}

function printBanner(
  reporter: Reporter,
  ready: ReturnType<typeof readyObject> & { inspectorUrl?: string },
  showSecrets: boolean,
): void {
  const { style } = reporter;
  const row = (label: string, value: string) => reporter.info(`  ${style.dim(label.padEnd(14))}${value}`);
  // host:port, not a link: the base URL itself has no page (the rows below do).
  reporter.success(`respond.io emulator listening on ${new URL(ready.url).host}`);
  row('Webhook URL', `${ready.webhookUrl}  ${style.dim('(POST, for the bridge)')}`);
  row('Channel ID', ready.channel.channelId);
  row(
    'API token',
    showSecrets ? ready.channel.token : `${ready.channel.token} ${style.dim('(--show-secrets to see it)')}`,
  );
  row('ID type', ready.channel.idType);
  row(
    'API Base URL',
    ready.channel.apiBaseUrl ?? style.yellow('not set (--api-base-url, or PUT /_emulator/channels/<id>)'),
  );
  row(
    'Developer API',
    `${ready.devApiUrl}/contact/<identifier>/message  token ${ready.devApiToken}  channelId ${ready.channel.numericId}`,
  );
  row('Inspection', `${ready.inspectionUrl}  (live events: ${ready.eventsUrl})`);
  if (ready.inspectorUrl) row('Inspector', `${ready.inspectorUrl}  (conversations as a chat, live)`);
  reporter.info(style.dim('Ctrl-C stops.'));
}

/**
 * Runs the emulator until SIGINT or SIGTERM; resolves with the exit code.
 * @example process.exitCode = await runEmulate(parseEmulateFlags(flags), reporter, process.cwd())
 */
export async function runEmulate(input: EmulateInput, reporter: Reporter, cwd: string): Promise<number> {
  const options = await emulatorOptionsOf(input, cwd);
  let emulator: EmulatorHandle;
  try {
    emulator = await startEmulator(options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw usageError(`port ${input.port} is in use`, 'pass --port <n>, or --port 0 for a free one');
    }
    throw error;
  }
  // The inspector page: respond.io's side of every conversation as a chat, live (no bridge in process).
  const { startInspector } = await import('../inspector/server.js');
  const inspector = await startInspector({
    emulator,
    channelId: emulator.channel.channelId,
    token: () => emulator.channel.token,
    bridgeUrl: emulator.channel.apiBaseUrl,
    historyFile: options.stateDir ? join(options.stateDir, 'inspector.ndjson') : undefined,
  });
  const ready = { ...readyObject(emulator, input.showSecrets), inspectorUrl: inspector.url };
  reporter.emit(ready);
  printBanner(reporter, ready, input.showSecrets);
  emulator.subscribe((event) => {
    if (reporter.json) reporter.emit(event);
    else {
      const line = renderEvent(event, reporter.style);
      if (line) reporter.info(line);
    }
  });
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const code = signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.ok;
  process.once('SIGINT', () => process.exit(code));
  const deadline = setTimeout(() => process.exit(code), SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  await inspector.close();
  await emulator.close();
  clearTimeout(deadline);
  reporter.emit({ type: 'stopped', signal });
  reporter.info(reporter.style.dim(`${signal}: emulator stopped`));
  return code;
}
