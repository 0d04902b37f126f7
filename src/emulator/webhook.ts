/**
 * `POST /custom/channel/webhook/` as respond.io answers it. Order of checks: bearer token
 * (401), injected faults, the channel's 20/s limit (429), content type (415), body size (413),
 * JSON, channel ownership (400), then the contract (400 with problems).
 *
 * Emulator choices: 200 `{"status":"ok"}` on success; error bodies `{"error":{"message",
 * "problems"?}}`; every authenticated request counts against the limit, accepted or not;
 * `Retry-After` is whole seconds (at least 1); faults answer 503 (failure rate, `force5xx: true`)
 * or 429 with `Retry-After: 1`.
 *
 * `webhook.accepted`/`webhook.rejected` events carry an Exchange seen from the integration
 * server: leg `respondio`, direction `out` (it made the request), `url` the path.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Problem } from '../contract/problems.js';
import { validatePayload } from '../contract/validate.js';
import type { WebhookBody } from '../contract/webhook.js';
import type { Exchange } from '../exchange.js';
import { bearerToken, maskHeaders } from '../secrets.js';
import type { EmulatorCore } from './core.js';
import { applyWebhook } from './intake.js';
import { nextExchangeId } from './outgoing.js';
import type { EmulatorChannel } from './types.js';

export const WEBHOOK_ROUTES = ['/custom/channel/webhook/', '/custom/channel/webhook'];

declare module 'fastify' {
  interface FastifyRequest {
    emulatorChannel?: EmulatorChannel;
    emulatorStarted?: number;
  }
}

function exchangeOf(core: EmulatorCore, request: FastifyRequest, status: number, body: unknown): Exchange {
  const started = request.emulatorStarted ?? performance.now();
  const payload = request.body as { contactId?: unknown; events?: Array<{ message?: { type?: unknown } }> } | undefined;
  const contactId = typeof payload?.contactId === 'string' ? payload.contactId : undefined;
  const type = payload?.events?.[0]?.message?.type;
  const latencyMs = Math.round(performance.now() - started);
  const exchange: Exchange = {
    id: nextExchangeId(),
    // When the request arrived.
    time: core.store.now() - latencyMs,
    leg: 'respondio',
    direction: 'out',
    method: request.method,
    url: request.url,
    status,
    latencyMs,
    requestHeaders: maskHeaders(request.headers),
    requestBody: request.body,
    responseBody: body,
  };
  if (contactId) exchange.contactId = contactId;
  if (typeof type === 'string') exchange.messageType = type;
  return exchange;
}

/** Answers a webhook post with an error and publishes `webhook.rejected`. */
export function rejectWebhook(
  core: EmulatorCore,
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message: string,
  problems: Problem[] = [],
): FastifyReply {
  const body = { error: problems.length ? { message, problems } : { message } };
  const contactId = (request.body as { contactId?: unknown } | undefined)?.contactId;
  core.store.publish({
    type: 'webhook.rejected',
    ...(request.emulatorChannel ? { channelId: request.emulatorChannel.channelId } : {}),
    ...(typeof contactId === 'string' ? { contactId } : {}),
    status,
    message,
    problems,
    exchange: exchangeOf(core, request, status, body),
  });
  return reply.code(status).send(body);
}

/** Auth first: true when the request was answered (401). */
function authenticate(core: EmulatorCore, request: FastifyRequest, reply: FastifyReply): boolean {
  request.emulatorStarted = performance.now();
  const header = request.headers.authorization;
  if (!header) {
    rejectWebhook(core, request, reply, 401, 'missing Authorization header (expected "Bearer <API token>")');
    return true;
  }
  const token = bearerToken(header);
  if (!token) {
    rejectWebhook(core, request, reply, 401, 'malformed Authorization header (expected "Bearer <API token>")');
    return true;
  }
  const channel = core.channelByToken(token);
  if (!channel) {
    rejectWebhook(core, request, reply, 401, 'the API token does not belong to any channel');
    return true;
  }
  request.emulatorChannel = channel;
  return false;
}

/** Faults, the rate limit and the content type: true when the request was answered. */
function admit(core: EmulatorCore, request: FastifyRequest, reply: FastifyReply): boolean {
  const channel = request.emulatorChannel as EmulatorChannel;
  const faults = core.faults;
  if (faults.force429) {
    reply.header('retry-after', '1');
    rejectWebhook(core, request, reply, 429, 'too many requests (fault injection: force429)');
    return true;
  }
  if (faults.force5xx !== false) {
    const status = faults.force5xx === true ? 503 : faults.force5xx;
    rejectWebhook(core, request, reply, status, `service unavailable (fault injection: force5xx ${status})`);
    return true;
  }
  if (faults.failureRate > 0 && Math.random() < faults.failureRate) {
    rejectWebhook(core, request, reply, 503, 'service unavailable (fault injection: failureRate)');
    return true;
  }
  const decision = core.webhookLimiter?.take(channel.channelId);
  if (decision && !decision.allowed) {
    reply.header('retry-after', String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))));
    const message = `rate limit: at most ${decision.limit} requests per second per channel; retry later`;
    rejectWebhook(core, request, reply, 429, message);
    return true;
  }
  const type = request.headers['content-type'];
  if (!type || !/^application\/json\s*(;|$)/i.test(type)) {
    rejectWebhook(core, request, reply, 415, `Content-Type must be application/json (got ${type ?? 'none'})`);
    return true;
  }
  return false;
}

/** The checks before the body is read, as a callback hook (no promise per request). */
function gate(core: EmulatorCore, request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  if (authenticate(core, request, reply)) return;
  const latency = core.faults.latencyMs;
  if (latency > 0) {
    setTimeout(() => {
      if (!admit(core, request, reply)) done();
    }, latency);
  } else if (!admit(core, request, reply)) done();
}

/** Registers the webhook on both spellings (with and without the trailing slash). */
export function registerWebhook(app: FastifyInstance, core: EmulatorCore): void {
  // Declared up front so every request object keeps one shape.
  app.decorateRequest('emulatorChannel', undefined);
  app.decorateRequest('emulatorStarted', undefined);
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const channel = request.emulatorChannel as EmulatorChannel;
    const body = request.body as Record<string, unknown> | undefined;
    if (
      body &&
      typeof body === 'object' &&
      typeof body.channelId === 'string' &&
      body.channelId !== channel.channelId
    ) {
      return rejectWebhook(core, request, reply, 400, 'channelId does not belong to this API token', [
        { path: 'channelId', message: `must be the token's channel ID (got ${JSON.stringify(body.channelId)})` },
      ]);
    }
    const result = validatePayload(body, { kind: 'webhook', idType: channel.idType, strict: core.strict });
    if (!result.valid) {
      const first = result.errors[0];
      const summary = first.path ? `${first.path}: ${first.message}` : first.message;
      const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : '';
      return rejectWebhook(core, request, reply, 400, `invalid webhook body: ${summary}${more}`, result.errors);
    }
    const webhook = body as unknown as WebhookBody;
    const answer = { status: 'ok' };
    core.store.publish({
      type: 'webhook.accepted',
      channelId: channel.channelId,
      contactId: webhook.contactId,
      events: webhook.events.length,
      warnings: result.warnings,
      exchange: exchangeOf(core, request, 200, answer),
    });
    applyWebhook(core.store, channel, webhook, result.warnings);
    return reply.code(200).send(answer);
  };
  for (const url of WEBHOOK_ROUTES) {
    app.post(
      url,
      { bodyLimit: core.bodyLimit, onRequest: (request, reply, done) => gate(core, request, reply, done) },
      handler,
    );
  }
}
