/**
 * The bridge's log: pino through Fastify's logger, made safe to ship. Two layers:
 * - the request serializer logs a URL with its query-string values removed
 *   (`/webhooks/clicksend?secret=[redacted]`), never headers;
 * - every finished line passes a scrubber before it is written: each known secret (the channel
 *   token, secret-looking `.env` values) is masked wherever it appears (an error message, an
 *   adapter's data), and any `?name=value` left in text loses its value.
 * `onLog` turns the log into entries for a console (dev, send, simulate, demo).
 */
import type { FastifyServerOptions } from 'fastify';
import { maskSecret } from '../secrets.js';
import { BridgeLogController, lazyChildLogger } from './request-log.js';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** One log line as a console receives it (`onLog`). */
export interface BridgeLogEntry {
  level: LogLevel;
  time: number;
  msg: string;
  /** The line's other fields (already scrubbed), without pino's own. */
  data: Record<string, unknown>;
}

/** Logged request fields that may hold secrets (also kept off by the serializer below). */
export const REDACT_PATHS = ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'];

// `?a=1&b=2` in a URL or in any text: the name stays, the value goes.
const QUERY_VALUE = /([?&][^=&\s"'#?\\]+)=[^&\s"'#\\]*/g;

/**
 * A URL with the values of its query string removed.
 * @example redactQuery('/hooks/cs?secret=abc&x=1') // '/hooks/cs?secret=[redacted]&x=[redacted]'
 */
export function redactQuery(url: string): string {
  const at = url.indexOf('?');
  if (at === -1) return url;
  return url.slice(0, at) + url.slice(at).replace(QUERY_VALUE, '$1=[redacted]');
}

/**
 * Masks every known secret in a finished log line, then strips query values left in text.
 * Secrets must be given longest first (a short one may be part of a long one).
 */
export function scrubLine(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(maskSecret(secret));
  return out.includes('?') ? out.replace(QUERY_VALUE, '$1=[redacted]') : out;
}

/** The secrets a bridge's log must never carry: its token, secret-looking settings, extras. */
export function knownSecrets(token: string, envSecrets: readonly string[], extra: readonly string[] = []): string[] {
  const all = new Set(
    [token, ...envSecrets, ...extra].filter((value) => typeof value === 'string' && value.length >= 4),
  );
  return [...all].sort((a, b) => b.length - a.length);
}

interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Fastify's request serializer without the query values. */
export function serializeRequest(req: RequestLike) {
  return {
    method: req.method,
    url: redactQuery(req.url ?? ''),
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

const LEVELS: Record<number, LogLevel> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** A pino destination that hands each line to `onLog` as an entry (request lines are not logged in this mode). */
export function entrySink(onLog: (entry: BridgeLogEntry) => void): { write(line: string): void } {
  return {
    write(line: string) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      const { level, time, msg, pid: _pid, hostname: _hostname, reqId: _reqId, ...data } = record;
      try {
        onLog({
          level: LEVELS[level as number] ?? 'info',
          time: typeof time === 'number' ? time : Date.now(),
          msg: typeof msg === 'string' ? msg : '',
          data,
        });
      } catch {
        // A console that fails must not take the bridge down.
      }
    },
  };
}

export interface LoggerSetup {
  /** What `buildBridge` got as `logger`. */
  logger: FastifyServerOptions['logger'];
  onLog?: (entry: BridgeLogEntry) => void;
  secrets: readonly string[];
}

/**
 * Fastify's `logger` option for the bridge (false when nobody reads the log), with its request
 * lines (request-log.ts).
 */
export function buildLoggerOptions(
  setup: LoggerSetup,
): Pick<FastifyServerOptions, 'logger' | 'logController' | 'childLoggerFactory'> {
  let { logger } = setup;
  if (!logger && setup.onLog) logger = { level: 'debug', stream: entrySink(setup.onLog) };
  if (logger === true) logger = {};
  if (!logger || typeof logger !== 'object') return { logger: false };
  const options = logger as Record<string, unknown> & { serializers?: object; hooks?: object; redact?: unknown };
  const secrets = setup.secrets;
  return {
    logger: {
      ...options,
      redact: Array.isArray(options.redact) ? [...REDACT_PATHS, ...options.redact] : REDACT_PATHS,
      serializers: { req: serializeRequest, ...options.serializers },
      hooks: { ...options.hooks, streamWrite: (line: string) => scrubLine(line, secrets) },
    } as FastifyServerOptions['logger'],
    // A console gets what matters (warnings, adapter lines); it shows traffic from exchanges.
    logController: new BridgeLogController({ disableRequestLogging: Boolean(setup.onLog && !setup.logger) }),
    childLoggerFactory: lazyChildLogger,
  };
}
