/**
 * The bridge's request lines, made cheap enough for every `/message`:
 * - one line per request, when it is answered (Fastify writes two: "incoming request" and
 *   "request completed"), carrying the request (method, redacted URL, peer), the status and
 *   the response time;
 * - at `debug` for a request answered below 400 (the metrics count those), at `info` for a
 *   4xx or 5xx, at `error` when the answer failed: a production log at `info` carries the
 *   requests worth reading, and an answered send costs no log write;
 * - the request's child logger (bound to its `reqId`) is created only when something is
 *   logged through it: most requests log nothing, and a pino child per request showed in
 *   profiles.
 */
import { type FastifyBaseLogger, type FastifyReply, type FastifyRequest, LogController } from 'fastify';

type Pino = FastifyBaseLogger & { isLevelEnabled(level: string): boolean };
type Method = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * A request's logger that becomes `parent.child(bindings)` on first use. Only the methods
 * Fastify and the bridge call are forwarded (Fastify's logger contract).
 */
class LazyChild {
  #parent: Pino;
  #bindings: Record<string, unknown>;
  #options: object;
  #child: Pino | undefined;

  constructor(parent: Pino, bindings: Record<string, unknown>, options: object) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #real(): Pino {
    this.#child ??= this.#parent.child(this.#bindings, this.#options) as Pino;
    return this.#child;
  }

  /** A call below the level costs a comparison, not a child. */
  #log(method: Method, args: unknown[]): void {
    if (!this.#child && !this.#parent.isLevelEnabled(method)) return;
    const real = this.#real();
    (real[method] as (...a: unknown[]) => void).apply(real, args);
  }

  get level(): string {
    return (this.#child ?? this.#parent).level;
  }
  set level(level: string) {
    this.#real().level = level;
  }
  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.#parent).isLevelEnabled(level);
  }
  bindings(): Record<string, unknown> {
    return (this.#real() as unknown as { bindings(): Record<string, unknown> }).bindings();
  }
  child(bindings: Record<string, unknown>, options?: object): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }
  fatal(...args: unknown[]) {
    this.#log('fatal', args);
  }
  error(...args: unknown[]) {
    this.#log('error', args);
  }
  warn(...args: unknown[]) {
    this.#log('warn', args);
  }
  info(...args: unknown[]) {
    this.#log('info', args);
  }
  debug(...args: unknown[]) {
    this.#log('debug', args);
  }
  trace(...args: unknown[]) {
    this.#log('trace', args);
  }
  silent() {}
}

/**
 * Fastify's `childLoggerFactory` for the bridge: a child made on first use.
 * @example Fastify({ logger, childLoggerFactory: lazyChildLogger })
 */
export function lazyChildLogger(
  logger: FastifyBaseLogger,
  bindings: Record<string, unknown>,
  options: object,
): FastifyBaseLogger {
  // A route's own `logLevel` makes a child whose level is not the parent's: made at once.
  if ((options as { level?: unknown }).level !== undefined) return logger.child(bindings, options);
  return new LazyChild(logger as Pino, bindings, options) as unknown as FastifyBaseLogger;
}

/**
 * One line per answered request (see the top of this file); the other lines Fastify writes
 * (route not found, stream errors, default error handler) are its own. `disableRequestLogging`
 * still turns request lines off (a console shows traffic from exchanges).
 */
export class BridgeLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const log = reply.log as Pino;
    if (error) {
      log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
      return;
    }
    this.answered(request, reply.statusCode, reply.elapsedTime);
  }

  /** The line of an answered request; called directly by a route that times its own answers (`/message`: Fastify does not time it). */
  answered(request: FastifyRequest, statusCode: number, responseTime: number): void {
    if (this.isLogDisabled(request)) return;
    const level = statusCode >= 400 ? 'info' : 'debug';
    const log = request.log as Pino;
    if (!log.isLevelEnabled(level)) return;
    log[level]({ req: request, res: { statusCode }, responseTime }, 'request completed');
  }
}
