/**
 * The bridge's log: pino beside Fastify (see `buildLogging`), made safe to ship. Two layers:
 * - the request serializer logs a URL with its query-string values removed
 *   (`/webhooks/clicksend?secret=[redacted]`), never headers;
 * - every finished line passes a scrubber before it is written: each known secret (the channel
 *   token, secret-looking `.env` values) is masked wherever it appears (an error message, an
 *   adapter's data), and any `?name=value` left in text loses its value.
 * `onLog` turns the log into entries for a console (dev, send, simulate, demo).
 */
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import { type DestinationStream, type LoggerOptions, pino } from 'pino';
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

/** Fastify's reply serializer (a reply, or the `{ statusCode }` of a line `/message` writes). */
export function serializeReply(reply: { statusCode?: number }) {
  return { statusCode: reply.statusCode };
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

/** The bridge's log, set up around Fastify rather than through it (see `buildLogging`). */
export interface BridgeLogging {
  /** For `Fastify()`: no logger of its own; each request's logger a lazy child of ours. */
  fastify: Pick<FastifyServerOptions, 'logger' | 'logController' | 'childLoggerFactory'>;
  /** The bridge's pino logger (set as `app.log`), or undefined when nobody reads the log. */
  log?: FastifyBaseLogger;
  /** Writes the request lines (request-log.ts). */
  controller?: BridgeLogController;
}

/**
 * The bridge's logger and what Fastify needs of it (nothing when nobody reads the log). The
 * pino logger is made here, as Fastify would make it (level `info` unless set, `stream` or
 * `file`, its `req`/`res`/`err` serializers), but Fastify itself gets none: with a logger it
 * listens for the end of every response to time it, which cost `/message` as much as all the
 * bridge's own work. Request loggers still come from ours (`childLoggerFactory`); the request
 * lines are written by `/message` itself and, for the other routes, by Fastify on an
 * `onResponse` hook that build.ts adds to them.
 */
export function buildLogging(setup: LoggerSetup): BridgeLogging {
  let { logger } = setup;
  if (!logger && setup.onLog) logger = { level: 'debug', stream: entrySink(setup.onLog) };
  if (logger === true) logger = {};
  if (!logger || typeof logger !== 'object') return { fastify: { logger: false } };
  const { stream, file, ...options } = logger as Record<string, unknown> & {
    stream?: DestinationStream;
    file?: string;
    serializers?: object;
    hooks?: object;
    redact?: unknown;
  };
  if (stream && file) throw new TypeError('logger: give either stream or file, not both');
  const secrets = setup.secrets;
  const log = pino(
    {
      level: 'info',
      ...options,
      redact: Array.isArray(options.redact) ? [...REDACT_PATHS, ...options.redact] : REDACT_PATHS,
      serializers: { req: serializeRequest, res: serializeReply, err: pino.stdSerializers.err, ...options.serializers },
      hooks: { ...options.hooks, streamWrite: (line: string) => scrubLine(line, secrets) },
    } as LoggerOptions,
    stream ?? (file ? pino.destination(file) : undefined),
  );
  // A console gets what matters (warnings, adapter lines); it shows traffic from exchanges.
  const controller = new BridgeLogController({ disableRequestLogging: Boolean(setup.onLog && !setup.logger) });
  return {
    fastify: {
      logger: false,
      logController: controller,
      childLoggerFactory: (_none, bindings, childOptions) => lazyChildLogger(log, bindings, childOptions),
    },
    log,
    controller,
  };
}
