/**
 * `buildBridge`: the integration server as a Fastify instance that has not started listening
 * (tests drive it with `inject()`). Routes: `POST /message`, `GET /health`, `GET /ready`,
 * `GET /metrics` (unless `metrics: false`), and the adapter's webhook paths. The outbox and the
 * send queue open when the instance becomes ready and are closed with it: on Redis with
 * `redisUrl` (shared by the instances of a channel), else in files below `stateDir`.
 */
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { ExchangeFeed } from '../exchange.js';
import { fastifyTimeouts } from '../lib/server-limits.js';
import { openFileOutbox } from '../outbox/file-outbox.js';
import type { Outbox } from '../outbox/types.js';
import { openFileSendQueue } from '../send-queue/file-queue.js';
import type { SendQueue } from '../send-queue/types.js';
import { type Adapter, defineAdapter } from './adapter.js';
import { keepRawBodies } from './body.js';
import { type ContextDeps, secretValues } from './context.js';
import { buildDeliver } from './deliver.js';
import { buildLogging, knownSecrets } from './logging.js';
import { DEFAULT_SEND_POLICY, registerMessageRoute } from './message-route.js';
import type { BridgeMetrics } from './metrics.js';
import { installObservability } from './observability.js';
import type { BridgeOptions } from './options.js';
import { buildSendWorker } from './send-worker.js';
import { registerWebhookRoutes } from './webhook-route.js';
import { missingWebhookSecrets } from './webhook-secrets.js';

/** What the bridge exposes besides its routes. */
export interface BridgeRuntime {
  /** The outbox; available once the instance is ready (after `ready()`, `listen()` or a first `inject()`). */
  readonly outbox: Outbox;
  readonly exchanges: ExchangeFeed;
  /** The bridge's Prometheus metrics (undefined with `metrics: false`), e.g. `metrics.providerSendRetries.inc({ adapter })`. */
  readonly metrics?: BridgeMetrics;
  /** The send queue; undefined when it is off (or before the instance is ready). */
  readonly sendQueue: SendQueue | undefined;
}

export type BridgeApp = FastifyInstance & { readonly bridge: BridgeRuntime };

interface AdapterGetter {
  get: () => Promise<Adapter>;
  /** The adapter without waiting, for an adapter passed as an object (a loader may change it: undefined). */
  now: () => Adapter | undefined;
}

/** The adapter getter; `seen` learns each adapter's name (a metrics label) without extra work per call. */
function adapterGetter(source: BridgeOptions['adapter'], seen: (adapter: Adapter) => void): AdapterGetter {
  if (typeof source === 'function')
    return {
      get: async () => {
        const adapter = await source();
        seen(adapter);
        return adapter;
      },
      now: () => undefined,
    };
  const adapter = defineAdapter(source);
  seen(adapter);
  const ready = Promise.resolve(adapter);
  return { get: () => ready, now: () => adapter };
}

function checkOptions(options: BridgeOptions): void {
  const problems: string[] = [];
  if (!options.channel?.channelId) problems.push('channel.channelId is required');
  if (!options.channel?.token) problems.push('channel.token is required');
  if (!/^https?:\/\//.test(options.respondio?.webhookUrl ?? ''))
    problems.push('respondio.webhookUrl must be an http(s) URL');
  if (problems.length > 0) throw new TypeError(`buildBridge: ${problems.join('; ')}`);
}

/** An onResponse hook that does nothing: with it Fastify times the response and calls the log controller. */
function timeResponse(_request: unknown, _reply: unknown, done: () => void): void {
  done();
}

/**
 * Builds the bridge without listening.
 * @example const app = buildBridge({ adapter, channel, respondio: { webhookUrl }, stateDir }); await app.inject({ method: 'GET', url: '/health' })
 */
export function buildBridge(options: BridgeOptions): BridgeApp {
  checkOptions(options);
  const env = options.env ?? process.env;
  // Reading every variable of process.env costs more than a whole webhook: once, here.
  const envSecrets = secretValues(env);
  const logging = buildLogging({
    logger: options.logger,
    onLog: options.onLog,
    secrets: knownSecrets(options.channel.token, envSecrets, options.logSecrets),
  });
  const app = Fastify({
    ...fastifyTimeouts(options.requestTimeoutMs),
    ...logging.fastify,
    // An idle keep-alive socket (respond.io, a tunnel) must not hold `close()` open.
    forceCloseConnections: 'idle',
    // Start-up replays the outbox journal, which may legitimately take long (a million pending
    // events): Fastify's own timeout would fail `listen()` while the replay goes on. Ours
    // (`readyTimeoutMs`) closes what the start opened.
    pluginTimeout: 0,
  });
  if (logging.log) {
    // Fastify has no logger (logging.ts): the bridge's is `app.log`, and every route but
    // `/message` (which writes its own request line) gets an onResponse hook, on which Fastify
    // times the response and has the request line written.
    app.log = logging.log;
    app.addHook('onRoute', (route) => {
      if (route.url === '/message') return;
      const hooks = route.onResponse === undefined ? [] : [route.onResponse].flat();
      route.onResponse = [...hooks, timeResponse];
    });
  }
  keepRawBodies(app);
  // Errors Fastify raises before a handler runs (body too large, unreadable body) get the
  // contract's `{ "error": { "message" } }` shape too; a client's mistake is logged without a stack.
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status < 500) request.log.info({ statusCode: status }, error.message);
    else request.log.error({ err: error }, 'request failed');
    const message = status < 500 ? error.message : 'internal error in the bridge (see its log)';
    // `/message` counts its own answers; these never reached its handler, and no clock starts
    // before it (Fastify times nothing on `/message`: see logging.ts), so their time is 0.
    if (request.routeOptions.url === '/message') {
      recordMessage?.(status, reply.elapsedTime);
      logging.controller?.answered(request, status, reply.elapsedTime);
    }
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
  // Every in-flight call listens to it (one listener each, removed when the call settles).
  setMaxListeners(Number.POSITIVE_INFINITY, shutdown.signal);
  let adapterName = 'unknown';
  const adapterSource = adapterGetter(options.adapter, (adapter) => {
    adapterName = adapter.name;
  });
  const getAdapter = adapterSource.get;
  const now = options.now ?? Date.now;
  const baseFetch = options.fetch ?? globalThis.fetch;
  const deps: ContextDeps = {
    // Frozen: every adapter call is handed this object itself (a copy per call showed in profiles).
    channel: Object.freeze({ channelId: options.channel.channelId, idType: options.channel.idType }),
    env,
    secrets: envSecrets,
    recording,
    fetch: baseFetch,
    now,
    exchanges,
    log: app.log,
    adapterStateDir: join(options.stateDir ?? join(process.cwd(), '.custom-channel'), 'adapter'),
  };
  let outbox = options.outbox;
  let ownOutbox = false;
  const ops = installObservability(app, {
    getAdapter,
    adapterName: () => adapterName,
    stats: () => outbox?.stats(),
    store: () => outbox?.health?.(),
    now,
    metrics: options.metrics,
    readiness: options.readiness,
    giveUpAfterMs: options.outbox ? undefined : (options.outboxOptions?.giveUpAfterMs ?? 48 * 3600_000),
  });
  const { recordMessage } = ops;
  const onProviderRetry = (adapter: string) => ops.metrics?.providerSendRetries.inc({ adapter });
  const queueSettings = options.sendQueue === false ? undefined : (options.sendQueue ?? {});
  let sendQueue: SendQueue | undefined;
  let ownQueue = false;
  /** The Redis outbox's client, when the bridge opened one: the Redis send queue uses it too. */
  let redis: Redis | undefined;
  const runtime: BridgeRuntime = {
    get outbox(): Outbox {
      if (!outbox) throw new Error('the bridge is not ready yet: await app.ready() first');
      return outbox;
    },
    exchanges,
    metrics: ops.metrics,
    get sendQueue() {
      return sendQueue;
    },
  };
  app.decorate('bridge', { getter: () => runtime });

  let closed = false;
  /** Closes what the bridge opened (or stops what it was given); idempotent, for onClose and a failed start. */
  const teardown = async () => {
    closed = true;
    shutdown.abort(new Error('the bridge is shutting down'));
    // The queue first: its last outcomes are reported through the outbox.
    const queue = sendQueue;
    if (queue) {
      if (ownQueue) await queue.close();
      else await queue.stop();
    }
    if (!outbox) return;
    if (ownOutbox) await outbox.close();
    else await outbox.stop();
  };
  /** After each step of start-up: a bridge closed meanwhile (a failed listen) must not start more. */
  const stillOpen = async () => {
    if (!closed) return;
    await teardown();
    throw new Error('the bridge was closed while starting');
  };

  app.addHook('onReady', async () => {
    let timer: NodeJS.Timeout | undefined;
    const limit = options.readyTimeoutMs;
    const timedOut =
      limit === undefined
        ? undefined
        : new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              // The steps still running see `closed` and close what they opened.
              closed = true;
              reject(new Error(`the bridge did not start within ${limit} ms (opening its outbox and send queue)`));
            }, limit);
          });
    const opening = openAll();
    try {
      await (timedOut ? Promise.race([opening, timedOut]) : opening);
    } catch (error) {
      // Nothing opened by a failed start may keep running (a held lock, a delivery loop, timers).
      opening.catch(() => {});
      await teardown().catch(() => {});
      throw error;
    } finally {
      clearTimeout(timer);
    }
  });
  const openAll = async () => {
    // Said once, at start: routes whose secret is unset refuse every callback.
    await getAdapter().then(
      (adapter) => {
        for (const warning of missingWebhookSecrets(adapter, env)) app.log.warn(warning);
      },
      () => undefined,
    );
    if (!outbox && options.redisUrl) {
      // Loaded only when asked for: ioredis stays out of the file-outbox start-up.
      const { openRedisOutbox } = await import('../outbox/redis-outbox.js');
      const redisOutbox = await openRedisOutbox({
        url: options.redisUrl,
        channelId: options.channel.channelId,
        rateLimitPerSecond: options.rateLimitPerSecond ?? 20,
        onWarning: (message) => app.log.warn(message),
      });
      outbox = redisOutbox;
      ownOutbox = true;
      // The send queue shares the connection (checked once); it is closed before the outbox.
      redis = redisOutbox.scripts.redis;
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
    await stillOpen();
    const deliver = buildDeliver({
      webhookUrl: options.respondio.webhookUrl,
      channel: options.channel,
      fetch: ops.watch.wrapFetch(baseFetch),
      now,
      timeoutMs: options.deliveryTimeoutMs ?? 10_000,
      exchanges,
      recording,
    });
    // Watched from outside: warn/error/info lines, metrics and /ready's delivery health.
    outbox.start(ops.watch.wrapDeliver(deliver));
    if (queueSettings) {
      const adapter = await getAdapter().catch(() => undefined);
      sendQueue = queueSettings.queue;
      if (!sendQueue && options.redisUrl) {
        const { openRedisSendQueue } = await import('../send-queue/redis-queue.js');
        sendQueue = await openRedisSendQueue({
          ...queueSettings,
          ...(redis ? { redis } : { url: options.redisUrl, onWarning: (message: string) => app.log.warn(message) }),
          channelId: options.channel.channelId,
          now,
          sendRate: adapter?.capabilities.sendRate,
          log: (message, data) => app.log.error(data ?? {}, message),
        });
        ownQueue = true;
      }
      if (!sendQueue) {
        sendQueue = await openFileSendQueue({
          ...queueSettings,
          dir: join(options.stateDir ?? join(process.cwd(), '.custom-channel'), 'sends'),
          now,
          sendRate: adapter?.capabilities.sendRate,
          log: (message, data) => app.log.error(data ?? {}, message),
        });
        ownQueue = true;
      }
      await stillOpen();
      const { worker, hooks } = buildSendWorker({
        ...deps,
        getAdapter,
        outbox: () => runtime.outbox,
        attemptTimeoutMs: queueSettings.attemptTimeoutMs ?? 10_000,
        onProviderRetry,
      });
      sendQueue.start(worker, hooks);
    }
  };
  app.addHook('onClose', teardown);

  registerMessageRoute(app, {
    ...deps,
    token: options.channel.token,
    getAdapter,
    adapterNow: adapterSource.now,
    onAnswered: recordMessage,
    ...(logging.controller ? { logAnswer: logging.controller.answered.bind(logging.controller) } : {}),
    sendTimeoutMs: options.sendTimeoutMs ?? 5000,
    sendQueue: () => sendQueue,
    sendPolicy: { ...DEFAULT_SEND_POLICY, ...queueSettings?.policy },
    onProviderRetry,
  });
  registerWebhookRoutes(app, {
    ...deps,
    getAdapter,
    adapterNow: adapterSource.now,
    sendQueue: () => sendQueue,
    outbox: () => runtime.outbox,
    shutdown: shutdown.signal,
  });
  return app as unknown as BridgeApp;
}
