/**
 * `buildEmulator` (a Fastify instance, not listening: for `inject()`) and `startEmulator`
 * (listens and returns the handle). One server carries the webhook, the Developer API subset
 * under `/v2` and the inspection API under `/_emulator/`.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { WEBHOOK_PATH } from '../contract/constants.js';
import { guardLocalServer } from '../lib/local-guard.js';
import { fastifyTimeouts, limitJsonDepth } from '../lib/server-limits.js';
import { createEmulatorCore, type EmulatorCore } from './core.js';
import { registerDevApi } from './dev-api.js';
import { registerInspection } from './inspect.js';
import type { EmulatorHandle, EmulatorOptions } from './types.js';
import { registerWebhook, rejectWebhook, WEBHOOK_ROUTES } from './webhook.js';

/** The Fastify instance with the emulator's state attached. */
export type EmulatorApp = FastifyInstance & { emulator: EmulatorCore };

function describeError(error: FastifyError): { status: number; message: string } {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: 'request body too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, message: 'Content-Type must be application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, message: 'the body is empty (expected a JSON object)' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, message: `the body is not valid JSON: ${error.message}` };
    default:
      if (error instanceof SyntaxError) return { status: 400, message: `the body is not valid JSON: ${error.message}` };
      return { status: error.statusCode && error.statusCode >= 400 ? error.statusCode : 500, message: error.message };
  }
}

/**
 * Builds the emulator without listening.
 * @example const app = await buildEmulator({ rateLimitPerSecond: false }); await app.inject({ method: 'POST', url: '/custom/channel/webhook/' })
 */
export async function buildEmulator(
  options: EmulatorOptions = {},
  streams = new Set<() => void>(),
): Promise<EmulatorApp> {
  const core = await createEmulatorCore(options);
  const app = Fastify({
    ...fastifyTimeouts(options.requestTimeoutMs),
    bodyLimit: core.bodyLimit,
    forceCloseConnections: true,
  });
  limitJsonDepth(app);
  // Only JSON is a webhook body: text/plain must be a 415, not a string.
  app.removeContentTypeParser('text/plain');
  app.decorate('emulator', core);
  guardLocalServer(app, { host: options.host, allowedHosts: options.allowedHosts });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, message } = describeError(error);
    if (request.url.startsWith('/v2/') || request.url === '/v2')
      return reply.code(status).send({ code: status, message });
    const path = request.url.split('?')[0];
    if (WEBHOOK_ROUTES.includes(path)) return rejectWebhook(core, request, reply, status, message);
    return reply.code(status).send({ error: { message } });
  });
  app.setNotFoundHandler((request, reply) => {
    const message = `no route ${request.method} ${request.url.split('?')[0]} (the webhook is POST ${WEBHOOK_PATH})`;
    if (request.url.startsWith('/v2/')) return reply.code(404).send({ code: 404, message });
    return reply.code(404).send({ error: { message } });
  });
  registerWebhook(app, core);
  registerDevApi(app, core);
  registerInspection(app, core, streams);
  // End event streams cleanly before connections are forced closed.
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });
  app.addHook('onClose', async () => {
    await core.shutdown();
  });
  return app as unknown as EmulatorApp;
}

/**
 * Starts the emulator on `host:port` (default 127.0.0.1, a free port).
 * @example const emulator = await startEmulator({ stateDir: '.custom-channel' }); emulator.setApiBaseUrl(bridge.url)
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const streams = new Set<() => void>();
  const app = await buildEmulator(options, streams);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;
  const core = app.emulator;
  const { store } = core;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    webhookUrl: `${url}${WEBHOOK_PATH}`,
    devApiUrl: `${url}/v2`,
    devApiToken: core.devApiToken,
    channels: core.channels,
    channel: core.channels[0],
    setApiBaseUrl: (channelIdOrUrl, apiBaseUrl) => core.setApiBaseUrl(channelIdOrUrl, apiBaseUrl),
    async sendMessage(input) {
      return core.start(input, 'user').done;
    },
    broadcast: (input) => core.broadcast(input),
    getMessage: (messageId) => store.getMessage(messageId),
    findByMId: (channelId, mId) => store.findByMId(channelId, mId),
    listMessages: (filter) => store.listMessages(filter),
    listContacts: (channelId) => store.listContacts(channelId),
    events: (since) => store.events(since),
    subscribe: (listener) => store.subscribe(listener),
    waitFor: (predicate, timeoutMs, since) => core.waitFor(predicate, timeoutMs, since),
    getFaults: () => ({ ...core.faults }),
    setFaults: (faults) => core.setFaults(faults),
    reset: () => store.reset(),
    close() {
      closing ??= app.close();
      return closing;
    },
  };
}
