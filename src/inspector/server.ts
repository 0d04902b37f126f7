/**
 * The inspector's HTTP server: the page, a JSON API over the history, a live Server-Sent
 * Events stream, compose and replay. Everything it answers has passed the scrubber.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ExchangeFeed } from '../exchange.js';
import { guardLocalServer } from '../lib/local-guard.js';
import { fastifyTimeouts, limitJsonDepth } from '../lib/server-limits.js';
import { maskSecret } from '../secrets.js';
import { loadAsset } from './assets.js';
import { ComposeSchema, type InspectorEmulator, runCompose } from './compose.js';
import { History } from './history.js';
import { buildView, exchangeOf } from './model.js';
import { runReplay, type SendDeps } from './replay.js';
import { ReplayRefused } from './replay-secrets.js';
import { buildScrubber } from './scrub.js';
import { buildSessionAuth, generateSessionSecret } from './session-auth.js';
import type { Entry, InspectorInfo } from './types.js';

export interface InspectorOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1: the inspector can send with the channel token; keep it off the network. */
  host?: string;
  /** Host names accepted besides loopback; see src/lib/local-guard.ts. */
  allowedHosts?: readonly string[];
  /**
   * The session secret the API requires (random when omitted): only the URL `startInspector`
   * returns carries it (`?token=`), as Jupyter does; programs send it as `X-Inspector-Token`.
   */
  secret?: string;
  /** The embedded emulator: its events are shown, and compose goes through it. */
  emulator?: InspectorEmulator;
  /** The bridge's exchange records (both legs). */
  exchanges?: ExchangeFeed;
  /** Where replays of requests the bridge received go, and compose when there is no emulator. */
  bridgeUrl?: string;
  channelId?: string | (() => string | undefined);
  /** The channel token, read when needed (compose, replay); masked everywhere else. */
  token?: () => string | undefined;
  /** More secrets to mask wherever they appear (provider API keys, webhook secrets). */
  secrets?: () => readonly (string | undefined)[];
  /** Real secret headers for replays of bridge -> provider requests. */
  providerHeaders?: () => Record<string, string> | undefined;
  /** Re-signs `X-Provider-Signature` when a provider callback is replayed. */
  providerWebhookSecret?: () => string | undefined;
  /** NDJSON history file, e.g. `.custom-channel/inspector.ndjson`; omitted: memory only. */
  historyFile?: string;
  /** Entries kept (default 1000). */
  maxHistory?: number;
  /** A request's headers and body must arrive within this (default 10,000 ms; then 408 and the connection closes). */
  requestTimeoutMs?: number;
  /** Timeout of compose and replay requests (default 10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface Inspector {
  app: FastifyInstance;
  history: History;
  /** The session secret the API requires. */
  secret: string;
  /** Stops listening to the emulator and the bridge. */
  detach(): void;
}

const ReplaySchema = z.strictObject({
  seq: z.int().positive(),
  method: z
    .string()
    .regex(/^[A-Za-z]+$/)
    .optional(),
  url: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.unknown().optional(),
});
const SinceSchema = z.object({ since: z.coerce.number().int().nonnegative().default(0) });

/** `?since=` as a non-negative integer, or a 400 naming it. */
function sinceOf(query: unknown, reply: FastifyReply): number | undefined {
  const parsed = SinceSchema.safeParse(query);
  if (parsed.success) return parsed.data.since;
  void fail(reply, 400, 'since must be a whole number >= 0 (the last seq you have; 0 for everything)');
  return undefined;
}

function fail(reply: FastifyReply, status: number, message: string) {
  return reply.code(status).send({ error: { message } });
}

function problemText(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
}

/**
 * Builds the inspector without listening (drive it with `app.inject()`).
 * @example const { app } = await buildInspector({ exchanges: feed, bridgeUrl, token: () => token })
 */
export async function buildInspector(options: InspectorOptions = {}): Promise<Inspector> {
  const history = await History.open({ file: options.historyFile, max: options.maxHistory });
  const token = options.token ?? (() => undefined);
  const channelId = () => (typeof options.channelId === 'function' ? options.channelId() : options.channelId);
  const scrub = buildScrubber(() => [token(), ...(options.secrets?.() ?? [])]);
  const record = (entry: Parameters<History['append']>[0]) => history.append(scrub(entry));
  const unsubscribe = [
    options.exchanges?.subscribe((exchange) => record({ time: exchange.time, kind: 'exchange', exchange })),
    options.emulator?.subscribe((event) => record({ time: event.time, kind: 'emulator', event })),
  ];
  const deps: SendDeps = {
    fetch: options.fetch ?? fetch,
    bridgeUrl: options.bridgeUrl,
    token,
    providerHeaders: options.providerHeaders,
    secrets: options.secrets,
    providerWebhookSecret: options.providerWebhookSecret,
    timeoutMs: options.timeoutMs ?? 10_000,
  };
  const streams = new Set<FastifyReply>();
  const app = Fastify({ ...fastifyTimeouts(options.requestTimeoutMs), logger: false, forceCloseConnections: true });
  limitJsonDepth(app);

  // Another web page in the same browser must not drive compose or replay (CSRF), nor read the
  // API through a name that resolves to loopback (DNS rebinding); another user's process on a
  // shared host must not either: the API wants the session secret.
  guardLocalServer(app, { host: options.host, allowedHosts: options.allowedHosts });
  const secret = options.secret ?? generateSessionSecret();
  const auth = buildSessionAuth(secret);
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (path.startsWith('/api/') || path === '/api') {
      if (!auth.allows(request)) return fail(reply, 401, auth.refusal);
      return;
    }
    // The page's URL carries the secret once; the page then keeps it in a cookie.
    const cookie = auth.cookieFor(request);
    if (cookie) void reply.header('set-cookie', cookie);
  });
  app.addHook('onClose', async () => {
    for (const stream of streams) stream.raw.end();
    for (const stop of unsubscribe) stop?.();
    await history.flush();
  });

  app.get(
    '/api/info',
    async (): Promise<InspectorInfo> => ({
      composeVia: options.emulator ? 'emulator' : options.bridgeUrl && token() ? 'bridge' : 'none',
      bridgeUrl: options.bridgeUrl,
      channelId: channelId(),
      tokenMasked: token() ? maskSecret(token()) : undefined,
      maxHistory: history.max,
      historyFile: history.file,
    }),
  );
  app.get('/api/entries', async (request, reply) => {
    const since = sinceOf(request.query, reply);
    return since === undefined ? reply : history.list(since);
  });
  app.get('/api/conversations', async () => buildView(history.list()));

  app.get('/api/stream', (request, reply) => {
    const since = sinceOf(request.query, reply);
    if (since === undefined) return reply;
    const last = Number(request.headers['last-event-id']);
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
    });
    const write = (entries: Entry[]) => {
      if (entries.length === 0) return;
      const seq = entries.at(-1)?.seq;
      reply.raw.write(`id: ${seq}\nevent: entries\ndata: ${JSON.stringify(entries)}\n\n`);
    };
    // The backlog goes as one message so the page renders once, then one message per entry.
    reply.raw.write(': inspector\n\n');
    let from = Number.isFinite(last) && last > 0 ? last : since;
    if (from > history.lastSeq) {
      // A page from before a restart without a history file: its entries are gone, start over.
      reply.raw.write('event: reset\ndata: {}\n\n');
      from = 0;
    }
    write(history.list(from));
    reply.raw.write('event: ready\ndata: {}\n\n');
    const stop = history.subscribe((entry) => write([entry]));
    const heartbeat = setInterval(() => reply.raw.write(': ping\n\n'), 15_000);
    streams.add(reply);
    reply.raw.on('close', () => {
      clearInterval(heartbeat);
      stop();
      streams.delete(reply);
    });
  });

  app.post('/api/compose', async (request, reply) => {
    const parsed = ComposeSchema.safeParse(request.body);
    if (!parsed.success) return fail(reply, 400, problemText(parsed.error));
    const outcome = await runCompose(parsed.data, {
      ...deps,
      emulator: options.emulator,
      channelId,
      record: options.exchanges ? undefined : record,
    });
    return reply.code(outcome.ok || outcome.status > 0 ? 200 : 502).send(scrub(outcome));
  });

  app.post('/api/replay', async (request, reply) => {
    const parsed = ReplaySchema.safeParse(request.body);
    if (!parsed.success) return fail(reply, 400, problemText(parsed.error));
    const entry = history.get(parsed.data.seq);
    const captured = entry && exchangeOf(entry);
    if (!captured) return fail(reply, 404, `no captured request with seq ${parsed.data.seq}`);
    let replay: Awaited<ReturnType<typeof runReplay>>;
    try {
      replay = await runReplay(captured, parsed.data, deps);
    } catch (error) {
      if (error instanceof ReplayRefused) return fail(reply, error.status, error.message);
      throw error;
    }
    const stored = record({ time: replay.time, kind: 'replay', exchange: { ...replay, id: 0 } });
    const ok = replay.status >= 200 && replay.status < 300;
    return scrub({
      ok,
      status: replay.status,
      latencyMs: replay.latencyMs,
      body: replay.responseBody,
      error: replay.error,
      entry: stored,
    });
  });

  app.get('/*', async (request, reply) => {
    const asset = await loadAsset(request.url.split('?')[0]);
    if (!asset) return fail(reply, 404, `no such page: ${request.url}`);
    return reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
  });

  return {
    app,
    history,
    secret,
    detach: () => {
      for (const stop of unsubscribe) stop?.();
    },
  };
}

/** A running inspector: open `url` in a browser. `close()` is idempotent. */
export interface InspectorHandle {
  /** The page with the session secret (`…/?token=…`): what to print, what a browser opens. */
  url: string;
  /** The page without the secret, e.g. `http://127.0.0.1:4300/`: base of API calls. */
  baseUrl: string;
  /** The session secret: API clients send it as `X-Inspector-Token` (or `Authorization: Bearer`). */
  secret: string;
  history: History;
  close(): Promise<void>;
}

/**
 * Starts the inspector on loopback.
 * @example const inspector = await startInspector({ emulator, exchanges, bridgeUrl, token: () => token })
 * console.log(`inspector: ${inspector.url}`)
 */
export async function startInspector(options: InspectorOptions = {}): Promise<InspectorHandle> {
  const { app, history, secret } = await buildInspector(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  let closing: Promise<void> | undefined;
  const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  return {
    url: `${baseUrl}?token=${secret}`,
    baseUrl,
    secret,
    history,
    close: () => {
      closing ??= app.close().then(() => undefined);
      return closing;
    },
  };
}
