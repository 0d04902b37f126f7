/**
 * The `ctx` an adapter gets on every call, with a `fetch` that records each provider call as
 * an Exchange (leg `provider`, direction `out`) with secrets masked.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { IdType } from '../contract/ids.js';
import type { Exchange, ExchangeFeed } from '../exchange.js';
import { parseJsonOrText } from '../lib/json-depth.js';
import { maskHeaders, maskSecret } from '../secrets.js';
import type { AdapterContext, AdapterLogger } from './adapter.js';

/** What exchange records of one call should carry when known. */
export interface ExchangeTags {
  contactId?: string;
  messageType?: string;
  mId?: string;
  /** Shared by a request the bridge received and the provider calls it made while handling it. */
  trace?: string;
}

let traces = 0;
/** A trace id unique within this process. */
function nextTrace(): string {
  traces += 1;
  return `t${process.pid.toString(36)}-${traces.toString(36)}`;
}

export interface ContextDeps {
  channel: { channelId: string; idType: IdType };
  env: Readonly<Record<string, string | undefined>>;
  fetch: typeof fetch;
  now: () => number;
  exchanges?: ExchangeFeed;
  log: FastifyBaseLogger;
  /** Secret values to mask in recorded URLs (default: computed from `env`, once per call). */
  secrets?: readonly string[];
  /** False while nobody listens to `exchanges`: records are not even built. */
  recording?: () => boolean;
  /** Handed to adapters as `ctx.stateDir`. */
  adapterStateDir?: string;
}

/** The feed to publish to, or undefined when nobody listens. */
export function feedOf(deps: Pick<ContextDeps, 'exchanges' | 'recording'>): ExchangeFeed | undefined {
  return deps.recording?.() === false ? undefined : deps.exchanges;
}

/** pino takes (data, message); adapters write (message, data). */
export function buildAdapterLogger(log: FastifyBaseLogger): AdapterLogger {
  return new PinoAdapterLogger(log);
}

/**
 * One object per adapter call (made per send), each method made on first read: four closures
 * per call showed in profiles, and most sends log nothing. A method read off it keeps its
 * logger (`promise.catch(ctx.log.error)` works).
 */
class PinoAdapterLogger implements AdapterLogger {
  readonly #log: FastifyBaseLogger;
  #made?: Partial<AdapterLogger>;

  constructor(log: FastifyBaseLogger) {
    this.#log = log;
  }

  get debug(): AdapterLogger['debug'] {
    return this.#method('debug');
  }

  get info(): AdapterLogger['info'] {
    return this.#method('info');
  }

  get warn(): AdapterLogger['warn'] {
    return this.#method('warn');
  }

  get error(): AdapterLogger['error'] {
    return this.#method('error');
  }

  #method(level: keyof AdapterLogger): AdapterLogger[keyof AdapterLogger] {
    this.#made ??= {};
    this.#made[level] ??= (msg, data) => this.#log[level](data ?? {}, msg);
    return this.#made[level];
  }
}

const SECRET_NAME = /key|token|secret|passw|auth|credential/i;

/** Values of secret-looking settings, longest first, to mask where they show up in URLs. */
export function secretValues(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_NAME.test(name) && typeof value === 'string' && value.length >= 6)
    .map(([, value]) => value as string)
    .sort((a, b) => b.length - a.length);
}

export function maskText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(maskSecret(secret));
  return out;
}

function describeBody(body: unknown): unknown {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return parseJsonOrText(body);
  if (body instanceof URLSearchParams) return Object.fromEntries(body);
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return `<${body.byteLength} bytes>`;
  return `<${(body as object).constructor?.name ?? typeof body}>`;
}

const PREVIEW_LIMIT = 64 * 1024;

/** A response body for the record: JSON or short text; a size note for anything else. */
async function previewOf(response: Response): Promise<unknown> {
  const type = response.headers.get('content-type') ?? '';
  const length = Number(response.headers.get('content-length') ?? '0');
  if (!/json|text|xml|urlencoded/i.test(type) || length > PREVIEW_LIMIT) {
    await response.body?.cancel().catch(() => {});
    return type ? `<${type}${length ? `, ${length} bytes` : ''}>` : undefined;
  }
  const text = await response.text();
  if (text.length > PREVIEW_LIMIT) return `${text.slice(0, 200)}…`;
  return parseJsonOrText(text);
}

/** Wraps `fetch` so every call is published as a provider `out` exchange. */
export function buildRecordingFetch(deps: ContextDeps, tags: ExchangeTags): typeof fetch {
  return async (input, init) => {
    const feed = feedOf(deps);
    if (!feed) return deps.fetch(input, init);
    // The request being handled spreads the same tags into its own record (after its calls):
    // both carry the trace. Made here, when a record needs it, not for every request.
    tags.trace ??= nextTrace();
    const secrets = deps.secrets ?? secretValues(deps.env);
    const time = deps.now();
    const started = performance.now();
    const request = input instanceof Request ? input : undefined;
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const base: Omit<Exchange, 'id' | 'status' | 'latencyMs'> = {
      time,
      leg: 'provider',
      direction: 'out',
      method: (init?.method ?? request?.method ?? 'GET').toUpperCase(),
      url: maskText(url, secrets),
      requestHeaders: maskHeaders(Object.fromEntries(new Headers(init?.headers ?? request?.headers))),
      requestBody: describeBody(init?.body),
      ...tags,
    };
    try {
      const response = await deps.fetch(input, init);
      const latencyMs = performance.now() - started;
      const responseHeaders = maskHeaders(Object.fromEntries(response.headers));
      // Read from a clone in the background: the adapter gets its response without waiting.
      void previewOf(response.clone())
        .catch(() => undefined)
        .then((responseBody) =>
          feed.publish({ ...base, status: response.status, latencyMs, responseHeaders, responseBody }),
        );
      return response;
    } catch (error) {
      feed.publish({ ...base, status: 0, latencyMs: performance.now() - started, error: (error as Error).message });
      throw error;
    }
  };
}

/**
 * What the last `ctx.fetch` of one adapter call came to: the bridge reads it when `send`
 * throws a plain Error, to tell a provider 429/5xx or network failure (retry) from a bug.
 */
export interface FetchProbe {
  status?: number;
  retryAfter?: string | null;
  networkError?: unknown;
}

/**
 * `ctx.fetch`: records the call, carries `ctx.signal` unless the adapter passes its own, and
 * notes the outcome in `probe`.
 */
function buildAdapterFetch(
  deps: ContextDeps,
  tags: ExchangeTags,
  signal: AbortSignal | SignalSource,
  probe: FetchProbe | undefined,
): typeof fetch {
  // Built on the first call: most sends of a bridge that answers at once never fetch.
  let recorded: typeof fetch | undefined;
  return async (input, init) => {
    recorded ??= buildRecordingFetch(deps, tags);
    const withSignal =
      init?.signal === undefined && !(input instanceof Request)
        ? { ...init, signal: signal instanceof AbortSignal ? signal : signal.signal() }
        : init;
    if (!probe) return recorded(input, withSignal);
    try {
      const response = await recorded(input, withSignal);
      probe.status = response.status;
      probe.retryAfter = response.headers.get('retry-after');
      probe.networkError = undefined;
      return response;
    } catch (error) {
      probe.status = undefined;
      probe.networkError = error;
      throw error;
    }
  };
}

/** Where a signal made on first use comes from (a send try makes its AbortController only if asked). */
export interface SignalSource {
  signal(): AbortSignal;
}

/**
 * A context whose `signal` is made when first read: a getter on the prototype, as an object
 * literal with a getter costs ten times a plain one to create (this runs per send). Its other
 * fields are own properties; a spread copy (`{ ...ctx }`) has no `signal`, so pass `ctx` on.
 */
class LazySignalContext implements AdapterContext {
  readonly #source: SignalSource;

  constructor(
    readonly channel: AdapterContext['channel'],
    readonly env: AdapterContext['env'],
    readonly log: AdapterLogger,
    readonly fetch: AdapterContext['fetch'],
    readonly now: () => number,
    readonly stateDir: string | undefined,
    source: SignalSource,
  ) {
    this.#source = source;
  }

  get signal(): AbortSignal {
    return this.#source.signal();
  }
}

/** The context for one adapter call; `signal` may be a source, asked only if the adapter reads `ctx.signal` or calls `ctx.fetch`. */
export function buildContext(
  deps: ContextDeps,
  log: FastifyBaseLogger,
  signal: AbortSignal | SignalSource,
  tags: ExchangeTags,
  probe?: FetchProbe,
): AdapterContext {
  // The bridge's own is frozen and handed over as is; anything else is copied, so an adapter cannot change it.
  const channel = Object.isFrozen(deps.channel)
    ? deps.channel
    : { channelId: deps.channel.channelId, idType: deps.channel.idType };
  const { env, now, adapterStateDir: stateDir } = deps;
  const adapterLog = buildAdapterLogger(log);
  const adapterFetch = buildAdapterFetch(deps, tags, signal, probe);
  if (!(signal instanceof AbortSignal)) {
    return new LazySignalContext(channel, env, adapterLog, adapterFetch, now, stateDir, signal);
  }
  return stateDir
    ? { channel, env, log: adapterLog, fetch: adapterFetch, now, stateDir, signal }
    : { channel, env, log: adapterLog, fetch: adapterFetch, now, signal };
}
