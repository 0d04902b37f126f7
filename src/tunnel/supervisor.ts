/**
 * Keeps a public URL working for a whole day. Free tunnels die silently, so the supervisor:
 * - gives up on an open attempt after `openTimeoutMs` and tries again with backoff;
 * - replaces a tunnel its provider reports broken, asking for the same subdomain;
 * - sends a canary GET through the public URL to the bridge's health route, which catches a
 *   tunnel that accepts connections but never forwards, and replaces it;
 * - reports every step as a `TunnelEvent`, so `dev` can print a new banner when the URL changes.
 * Close it before the bridge: open tunnel sockets keep the HTTP server from closing.
 */
import { messageOf } from '../errors.js';
import { withTimeout } from '../lib/timeout.js';
import { type Tunnel, type TunnelOpener, TunnelRefusedError } from './types.js';

/** Header that skips loca.lt's reminder page; harmless elsewhere. */
export const BYPASS_REMINDER_HEADER = 'bypass-tunnel-reminder';

export interface CanaryOptions {
  /** Time between probes (default 20 s). */
  intervalMs?: number;
  /** Time a probe may take (default 5 s). */
  timeoutMs?: number;
  /** Bridge route probed through the tunnel (default `/health`). */
  path?: string;
  /** Consecutive failed probes that condemn a tunnel (default 2). */
  failures?: number;
}

export interface BackoffOptions {
  /** First retry delay (default 250 ms), doubled on each failure up to `maxMs` (default 60 s). */
  initialMs?: number;
  maxMs?: number;
}

export interface TunnelSupervisorOptions {
  opener: TunnelOpener;
  /** Local port of the bridge. */
  port: number;
  localHost?: string;
  /** Subdomain the user asked for; otherwise the first one assigned is asked for again on reopen. */
  subdomain?: string;
  /** Default 10 s. */
  openTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** `false` turns the canary off. */
  canary?: CanaryOptions | false;
  /** False for a URL we cannot reopen (bring your own): canary failures are reported, not acted on. */
  replaceable?: boolean;
  fetch?: typeof fetch;
  /** The tunnel server's host, named in failure messages (e.g. `localtunnel.me`). */
  host?: string;
  /** What to suggest on the first failure to open, once (e.g. `--no-tunnel`). */
  failureHint?: string;
}

export type TunnelEvent =
  | { type: 'opening'; attempt: number; subdomain?: string }
  | { type: 'open'; url: string; previousUrl?: string; changed: boolean }
  | { type: 'open-failed'; attempt: number; error: string; retryInMs: number; hint?: string }
  | { type: 'down'; url: string; reason: string }
  | { type: 'canary-ok'; url: string; latencyMs: number }
  | { type: 'canary-failed'; url: string; error: string; consecutive: number }
  | { type: 'closed' };
export type TunnelListener = (event: TunnelEvent) => void;

export interface TunnelSupervisor {
  /** The URL of the tunnel that is open now, if any. */
  readonly url: string | undefined;
  /** Subscribes; returns the unsubscribe function. */
  on(listener: TunnelListener): () => void;
  /** Resolves with the current URL, or the next one to open; rejects after `timeoutMs`. */
  waitForUrl(timeoutMs?: number): Promise<string>;
  /** Replaces the current tunnel now (e.g. the user says it stopped working). */
  replace(reason?: string): void;
  /** Idempotent: stops retrying and closes the tunnel. */
  close(): Promise<void>;
}

/** The error codes of `error` and its causes (fetch and axios wrap the socket's error). */
function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    const named = /\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b/.exec(
      messageOf(e),
    );
    if (named) codes.push(named[1]);
  }
  return codes;
}

/**
 * One line naming the host and the cause of a failed open.
 * @example describeOpenError(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), 'localtunnel.me') // 'cannot resolve localtunnel.me'
 */
export function describeOpenError(error: unknown, hostName?: string): string {
  const host = hostName ?? 'the tunnel server';
  const codes = codesOf(error);
  const has = (...names: string[]) => names.some((name) => codes.includes(name));
  if (has('ENOTFOUND', 'EAI_AGAIN')) return `cannot resolve ${host} (no DNS: offline?)`;
  if (has('ECONNREFUSED')) return `${host} refused the connection`;
  if (has('EHOSTUNREACH', 'ENETUNREACH')) return `${host} is unreachable (no network?)`;
  if (has('ECONNRESET')) return `${host} closed the connection`;
  if (has('ETIMEDOUT')) return `no answer from ${host}`;
  const message = messageOf(error);
  return !hostName || message.includes(hostName) ? message : `${hostName}: ${message}`;
}

interface Waker {
  promise: Promise<string>;
  wake(reason: string): void;
}
function waker(): Waker {
  let wake!: (reason: string) => void;
  const promise = new Promise<string>((resolve) => {
    wake = resolve;
  });
  return { promise, wake };
}

/**
 * Starts opening a tunnel right away and keeps one open until `close()`.
 * @example
 * const tunnels = startTunnelSupervisor({ opener: createLocaltunnelOpener(), port: bridge.port });
 * tunnels.on((e) => e.type === 'open' && e.changed && printBanner(e.url));
 */
export function startTunnelSupervisor(options: TunnelSupervisorOptions): TunnelSupervisor {
  const listeners = new Set<TunnelListener>();
  const emit = (event: TunnelEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // A broken listener must not stop the supervisor.
      }
    }
  };
  const openTimeoutMs = options.openTimeoutMs ?? 10_000;
  const initialDelay = options.backoff?.initialMs ?? 250;
  const maxDelay = options.backoff?.maxMs ?? 60_000;
  let hinted = false;
  const replaceable = options.replaceable !== false;
  const fetchImpl = options.fetch ?? fetch;
  const canary = options.canary === false ? undefined : options.canary;

  let closed = false;
  let url: string | undefined;
  let lastUrl: string | undefined;
  let subdomain = options.subdomain;
  let current: Waker | undefined;
  let sleeper: Waker | undefined;
  let attemptAbort: AbortController | undefined;

  const sleep = (ms: number) => {
    sleeper = waker();
    const timer = setTimeout(() => sleeper?.wake('timer'), ms);
    return sleeper.promise.finally(() => clearTimeout(timer));
  };

  async function openOnce(attempt: number): Promise<Tunnel> {
    attemptAbort = new AbortController();
    const signal = attemptAbort.signal;
    const timer = setTimeout(
      () => attemptAbort?.abort(new Error(`no tunnel after ${openTimeoutMs} ms`)),
      openTimeoutMs,
    );
    emit({ type: 'opening', attempt, subdomain });
    const down = waker();
    current = down;
    const pending = options.opener({
      port: options.port,
      localHost: options.localHost,
      subdomain,
      signal,
      onDown: (reason) => down.wake(messageOf(reason)),
    });
    // An opener that ignores its signal still loses the race; its late tunnel is closed.
    const aborted = new Promise<never>((_, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    try {
      return await Promise.race([pending, aborted]);
    } catch (error) {
      pending.then((late) => late.close()).catch(() => {});
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  function startCanary(tunnel: Tunnel, down: Waker): () => void {
    if (!canary) return () => {};
    const interval = canary.intervalMs ?? 20_000;
    const timeout = canary.timeoutMs ?? 5_000;
    const limit = canary.failures ?? 2;
    const target = `${tunnel.url}${canary.path ?? '/health'}`;
    let consecutive = 0;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const probe = async () => {
      const started = Date.now();
      const deadline = withTimeout(undefined, timeout);
      try {
        const response = await fetchImpl(target, {
          headers: { [BYPASS_REMINDER_HEADER]: '1', 'user-agent': 'custom-channel-canary' },
          signal: deadline.signal,
        });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        consecutive = 0;
        if (!stopped) emit({ type: 'canary-ok', url: tunnel.url, latencyMs: Date.now() - started });
      } catch (error) {
        if (stopped) return;
        consecutive += 1;
        const reason =
          error instanceof Error && error.name === 'TimeoutError' ? `no answer in ${timeout} ms` : messageOf(error);
        emit({ type: 'canary-failed', url: tunnel.url, error: reason, consecutive });
        if (replaceable && consecutive >= limit) {
          down.wake(`canary: ${reason} (${consecutive} in a row)`);
          return;
        }
      } finally {
        deadline.clear();
      }
      if (!stopped) timer = setTimeout(probe, interval);
    };
    timer = setTimeout(probe, 0);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }

  async function run(): Promise<void> {
    let failures = 0;
    let attempt = 0;
    while (!closed) {
      attempt += 1;
      let tunnel: Tunnel;
      try {
        tunnel = await openOnce(attempt);
      } catch (error) {
        if (closed) break;
        failures += 1;
        // An auto-assigned subdomain the server refuses (still held by our dead tunnel) is not worth insisting on.
        if (error instanceof TunnelRefusedError && !options.subdomain && failures >= 2) subdomain = undefined;
        const retryInMs = Math.min(maxDelay, initialDelay * 2 ** (failures - 1));
        const hint = hinted ? undefined : options.failureHint;
        hinted = true;
        emit({
          type: 'open-failed',
          attempt,
          error: describeOpenError(error, options.host),
          retryInMs,
          ...(hint ? { hint } : {}),
        });
        await sleep(retryInMs);
        continue;
      }
      const down = current as Waker;
      if (closed) {
        await tunnel.close().catch(() => {});
        break;
      }
      failures = 0;
      subdomain = options.subdomain ?? tunnel.subdomain;
      url = tunnel.url;
      emit({ type: 'open', url: tunnel.url, previousUrl: lastUrl, changed: tunnel.url !== lastUrl });
      lastUrl = tunnel.url;
      const stopCanary = startCanary(tunnel, down);
      const reason = await down.promise;
      stopCanary();
      url = undefined;
      if (!closed) emit({ type: 'down', url: tunnel.url, reason });
      await tunnel.close().catch(() => {});
    }
  }

  const running = run();

  return {
    get url() {
      return url;
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    waitForUrl(timeoutMs = Math.max(30_000, openTimeoutMs * 3)) {
      if (url) return Promise.resolve(url);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          off();
          reject(new Error(`no public URL after ${timeoutMs} ms`));
        }, timeoutMs);
        const off = this.on((event) => {
          if (event.type === 'open' || event.type === 'closed') {
            clearTimeout(timer);
            off();
            if (event.type === 'open') resolve(event.url);
            else reject(new Error('tunnel supervisor closed'));
          }
        });
      });
    },
    replace(reason = 'replaced on request') {
      if (url) current?.wake(reason);
    },
    async close() {
      if (!closed) {
        closed = true;
        attemptAbort?.abort(new Error('closing'));
        sleeper?.wake('closing');
        current?.wake('closing');
        await running;
        emit({ type: 'closed' });
      }
      await running;
    },
  };
}
