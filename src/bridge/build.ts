/**
 * `buildBridge`: the integration server as a Fastify instance that has not started listening
 * (tests drive it with `inject()`). Routes: `POST /message`, `GET /health`, and the adapter's
 * webhook paths. The outbox opens when the instance becomes ready and is closed with it.
 */
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { ExchangeFeed } from '../exchange.js';
import { openFileOutbox } from '../outbox/file-outbox.js';
import type { Outbox } from '../outbox/types.js';
import { type Adapter, defineAdapter } from './adapter.js';
import { keepRawBodies } from './body.js';
import { type ContextDeps, secretValues } from './context.js';
import { buildDeliver } from './deliver.js';
import { registerMessageRoute } from './message-route.js';
import type { BridgeOptions } from './options.js';
import { registerWebhookRoutes } from './webhook-route.js';

/** What the bridge exposes besides its routes. */
export interface BridgeRuntime {
  /** The outbox; available once the instance is ready (after `ready()`, `listen()` or a first `inject()`). */
  readonly outbox: Outbox;
  readonly exchanges: ExchangeFeed;
}

export type BridgeApp = FastifyInstance & { readonly bridge: BridgeRuntime };

/** Logged request fields that may hold secrets. */
const REDACT = ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'];

function adapterGetter(source: BridgeOptions['adapter']): () => Promise<Adapter> {
  if (typeof source === 'function') return async () => source();
  const adapter = defineAdapter(source);
  return async () => adapter;
}

function checkOptions(options: BridgeOptions): void {
  const problems: string[] = [];
  if (!options.channel?.channelId) problems.push('channel.channelId is required');
  if (!options.channel?.token) problems.push('channel.token is required');
  if (!/^https?:\/\//.test(options.respondio?.webhookUrl ?? ''))
    problems.push('respondio.webhookUrl must be an http(s) URL');
  if (problems.length > 0) throw new TypeError(`buildBridge: ${problems.join('; ')}`);
}

/**
 * Builds the bridge without listening.
 * @example const app = buildBridge({ adapter, channel, respondio: { webhookUrl }, stateDir }); await app.inject({ method: 'GET', url: '/health' })
 */
export function buildBridge(options: BridgeOptions): BridgeApp {
  checkOptions(options);
  const logger = options.logger ?? false;
  const app = Fastify({
    logger: logger && typeof logger === 'object' ? { redact: REDACT, ...logger } : logger,
    // An idle keep-alive socket (respond.io, a tunnel) must not hold `close()` open.
    forceCloseConnections: 'idle',
  });
  keepRawBodies(app);
  // Errors Fastify raises before a handler runs (body too large, unreadable body) get the
  // contract's `{ "error": { "message" } }` shape too; a client's mistake is logged without a stack.
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status < 500) request.log.info({ statusCode: status }, error.message);
    else request.log.error({ err: error }, 'request failed');
    const message = status < 500 ? error.message : 'internal error in the bridge (see its log)';
    return reply.code(status).send({ error: { message } });
  });
  const exchanges = options.exchanges ?? new ExchangeFeed();
  // Records cost a response clone and header masking per call: build them only when someone
  // listens. A feed passed in is assumed listened to; our own counts its subscribers.
  let listeners = options.exchanges ? Number.POSITIVE_INFINITY : 0;
  if (!options.exchanges) {
    const subscribe = exchanges.subscribe.bind(exchanges);
    exchanges.subscribe = (listener) => {
      listeners += 1;
      const unsubscribe = subscribe(listener);
      let active = true;
      return () => {
        if (active) listeners -= 1;
        active = false;
        unsubscribe();
      };
    };
  }
  const recording = () => listeners > 0;
  const shutdown = new AbortController();
  const getAdapter = adapterGetter(options.adapter);
  const now = options.now ?? Date.now;
  const baseFetch = options.fetch ?? globalThis.fetch;
  const env = options.env ?? process.env;
  const deps: ContextDeps = {
    channel: { channelId: options.channel.channelId, idType: options.channel.idType },
    env,
    // Reading every variable of process.env costs more than a whole webhook: once, here.
    secrets: secretValues(env),
    recording,
    fetch: baseFetch,
    now,
    exchanges,
    log: app.log,
  };
  let outbox = options.outbox;
  let ownOutbox = false;
  const runtime: BridgeRuntime = {
    get outbox(): Outbox {
      if (!outbox) throw new Error('the bridge is not ready yet: await app.ready() first');
      return outbox;
    },
    exchanges,
  };
  app.decorate('bridge', { getter: () => runtime });

  app.addHook('onReady', async () => {
    if (!outbox && options.redisUrl) {
      // Loaded only when asked for: ioredis stays out of the file-outbox start-up.
      const { openRedisOutbox } = await import('../outbox/redis-outbox.js');
      outbox = await openRedisOutbox({
        url: options.redisUrl,
        channelId: options.channel.channelId,
        rateLimitPerSecond: options.rateLimitPerSecond ?? 20,
        onWarning: (message) => app.log.warn(message),
      });
      ownOutbox = true;
    }
    if (!outbox) {
      outbox = await openFileOutbox({
        ...options.outboxOptions,
        dir: join(options.stateDir ?? join(process.cwd(), '.custom-channel'), 'outbox'),
        rateLimitPerSecond: options.rateLimitPerSecond ?? 20,
        now,
        warn: options.outboxOptions?.warn ?? ((message) => app.log.warn(message)),
      });
      ownOutbox = true;
    }
    outbox.start(
      buildDeliver({
        webhookUrl: options.respondio.webhookUrl,
        channel: options.channel,
        fetch: baseFetch,
        now,
        timeoutMs: options.deliveryTimeoutMs ?? 10_000,
        exchanges,
        recording,
      }),
    );
  });
  app.addHook('onClose', async () => {
    shutdown.abort(new Error('the bridge is shutting down'));
    if (!outbox) return;
    if (ownOutbox) await outbox.close();
    else await outbox.stop();
  });

  app.get('/health', async (_request, reply) => {
    const adapter = await getAdapter().then(
      (a) => ({ name: a.name }),
      (error: Error) => ({ error: error.message }),
    );
    const stats = outbox?.stats();
    // A shared outbox (Redis) can be unreachable: say so, and why.
    const store = outbox?.health?.();
    const ready = Boolean(stats) && 'name' in adapter && store?.ok !== false;
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ok' : 'unavailable',
      adapter,
      outbox: stats ?? null,
      lastDeliveryError: stats?.lastError ?? null,
      ...(store?.ok === false ? { outboxUnavailable: store.reason } : {}),
    });
  });
  registerMessageRoute(app, {
    ...deps,
    token: options.channel.token,
    getAdapter,
    sendTimeoutMs: options.sendTimeoutMs ?? 8000,
  });
  registerWebhookRoutes(app, {
    ...deps,
    getAdapter,
    outbox: () => runtime.outbox,
    shutdown: shutdown.signal,
  });
  return app as unknown as BridgeApp;
}
