/**
 * Provider webhooks: one catch-all route that dispatches by path to the adapter's handlers
 * (asked per request, so a reloaded adapter's new paths work at once). POST: verify ->
 * handle -> durable enqueue -> answer the provider. GET: the handler's handshake.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { contactIdProblem } from '../contract/ids.js';
import { formatProblem } from '../contract/problems.js';
import { validatePayload } from '../contract/validate.js';
import { WebhookBodySchema } from '../contract/webhook.js';
import { isPlainWebhookEvent } from '../contract/webhook-fast.js';
import { messageOf } from '../errors.js';
import type { Outbox } from '../outbox/types.js';
import { OutboxFullError, OutboxUnavailableError } from '../outbox/types.js';
import { maskHeaders } from '../secrets.js';
import type { SendQueue } from '../send-queue/types.js';
import type { Adapter, BridgeEvent, ProviderReply, ProviderRequest, WebhookHandler } from './adapter.js';
import { serveStream, trackStreams } from './adapter-stream.js';
import { flatten, parseBody, rawBodyOf } from './body.js';
import { buildContext, type ContextDeps, type ExchangeTags, feedOf, maskText, secretValues } from './context.js';
import { missingSecret, missingSecretMessage } from './webhook-secrets.js';

export interface WebhookRouteDeps extends ContextDeps {
  getAdapter: () => Promise<Adapter>;
  /** The adapter when it is known without waiting (one passed as an object), else undefined. */
  adapterNow?: () => Adapter | undefined;
  outbox: () => Outbox;
  /** Aborted when the bridge shuts down: handed to webhook handlers as `ctx.signal`. */
  shutdown: AbortSignal;
  /** Maps provider ids of queued sends back to the mId respond.io was given. */
  sendQueue?: () => SendQueue | undefined;
}

const DEFAULT_STATUS_WAIT_MS = 3000;

/**
 * A status for a message the send queue sent carries the provider's id; respond.io knows it
 * by the bridge mId it was answered with. The provider may call back before its answer to
 * the send reached us, or for a try that timed out on our side: when the id is unknown while
 * tries are in flight or uncertain, wait (up to 3 s, or the queue's `statusWaitMs`) for them
 * before deciding.
 */
/** A promise, or anything else with a `then` (an adapter may return another library's). */
const isThenable = <T>(value: T | PromiseLike<T>): value is PromiseLike<T> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

/** Whether any event is a status (the rest need no mapping: no async step for them). */
const hasStatus = (events: readonly BridgeEvent[]) => events.some((item) => item?.event?.type === 'message_status');

async function toBridgeMIds(events: readonly BridgeEvent[], queue: SendQueue | undefined): Promise<BridgeEvent[]> {
  if (!queue) return events as BridgeEvent[];
  let waited = false;
  const out: BridgeEvent[] = [];
  for (const item of events) {
    const event = item?.event;
    if (event?.type !== 'message_status' || typeof event.mId !== 'string') {
      out.push(item);
      continue;
    }
    // The file queue answers at once; a shared one may ask its store (unreachable: not known to be ours).
    let mapped = queue.bridgeMIdOf(event.mId);
    if (typeof mapped === 'object') mapped = await mapped.catch(() => undefined);
    if (mapped === undefined && !waited && queue.unsettled()) {
      waited = true;
      await queue.settled(queue.statusWaitMs ?? DEFAULT_STATUS_WAIT_MS);
      mapped = queue.bridgeMIdOf(event.mId);
      if (typeof mapped === 'object') mapped = await mapped.catch(() => undefined);
    }
    out.push(mapped === undefined ? item : { ...item, event: { ...event, mId: mapped } });
  }
  return out;
}

// The regex only when there is a trailing slash to trim: this runs per request and per route.
const trimSlash = (path: string) =>
  path.length > 1 && path.charCodeAt(path.length - 1) === 0x2f ? path.replace(/\/+$/, '') : path;

/** The problems that would make respond.io refuse this event, or undefined when it is fine. */
export function eventProblem(item: BridgeEvent, channelId: string, idType: ContextDeps['channel']['idType']) {
  // The usual event is checked by hand; anything else costs one schema parse, and the
  // readable report only on failure.
  if (isPlainWebhookEvent(channelId, item?.contactId, item?.event, item?.contact)) {
    if (!contactIdProblem(item.contactId, idType)) return undefined;
  }
  const body: Record<string, unknown> = { channelId, contactId: item?.contactId, events: [item?.event] };
  if (item?.contact !== undefined) body.contact = item.contact;
  if (WebhookBodySchema.safeParse(body).success && !contactIdProblem(String(item.contactId), idType)) return undefined;
  const result = validatePayload(body, { kind: 'webhook', idType });
  return result.valid ? undefined : `invalid event from the adapter: ${result.errors.map(formatProblem).join('; ')}`;
}

function tagsOf(events: readonly BridgeEvent[]): ExchangeTags {
  const first = events[0];
  if (!first?.event) return {};
  const event = first.event;
  return {
    contactId: first.contactId,
    mId: event.mId,
    messageType: event.type === 'message_status' ? `status:${event.status?.value}` : event.message?.type,
  };
}

function enqueueAll(outbox: Outbox, events: readonly BridgeEvent[], deps: WebhookRouteDeps): Promise<unknown> {
  const valid: BridgeEvent[] = [];
  const invalid: Array<[BridgeEvent, string]> = [];
  for (const item of events) {
    const problem = eventProblem(item, deps.channel.channelId, deps.channel.idType);
    if (problem) invalid.push([item, problem]);
    else valid.push(item);
  }
  // The usual case: one write, its promise handed back as it is (no async step of its own).
  if (invalid.length === 0) return valid.length > 0 ? outbox.enqueue(valid) : Promise.resolve();
  return enqueueSorted(outbox, valid, invalid, deps);
}

async function enqueueSorted(
  outbox: Outbox,
  valid: BridgeEvent[],
  invalid: Array<[BridgeEvent, string]>,
  deps: WebhookRouteDeps,
): Promise<void> {
  const writes: Promise<unknown>[] = [];
  if (valid.length > 0) writes.push(outbox.enqueue(valid));
  // Kept as dead letters, visible in `custom-channel outbox list --dead`, rather than dropped.
  for (const [item, problem] of invalid) {
    deps.log.error({ problem }, 'adapter produced an event respond.io would refuse');
    if (item?.event && typeof item.event.mId === 'string') writes.push(outbox.enqueue([item], { deadLetter: problem }));
  }
  await Promise.all(writes);
}

function sendReply(reply: FastifyReply, answer: ProviderReply | undefined): unknown {
  const status = answer?.status ?? 200;
  const body = answer && 'body' in answer ? answer.body : { ok: true };
  if (status !== 200) reply.code(status);
  if (answer?.headers) reply.headers(answer.headers);
  if (body === undefined) return reply.send();
  return reply.send(body);
}

async function runHandler(
  hook: WebhookHandler,
  request: ProviderRequest,
  deps: WebhookRouteDeps,
  ctx: ReturnType<typeof buildContext>,
  tags: ExchangeTags,
): Promise<ProviderReply | undefined> {
  if (request.method === 'GET' || request.method === 'HEAD') {
    const answer = hook.handshake ? await hook.handshake(request, ctx) : undefined;
    return answer ?? { status: 404, body: { error: { message: `no handshake on ${request.path}` } } };
  }
  const unset = missingSecret(hook, ctx.env);
  if (unset) return { status: 401, body: { error: { message: missingSecretMessage(unset) } } };
  // A handler's answer is awaited only when it is a promise: an await per step showed in profiles.
  if (hook.verify) {
    const verified = hook.verify(request, ctx);
    if (!(isThenable(verified) ? await verified : verified)) {
      return { status: 401, body: { error: { message: 'signature check failed' } } };
    }
  }
  const handled = hook.handle(request, ctx);
  const result = isThenable(handled) ? await handled : handled;
  const returned: BridgeEvent[] = Array.isArray(result?.events) ? result.events : [];
  const events = hasStatus(returned) ? await toBridgeMIds(returned, deps.sendQueue?.()) : returned;
  Object.assign(tags, tagsOf(events));
  if (events.length > 0) await enqueueAll(deps.outbox(), events, deps);
  return result?.reply;
}

export function registerWebhookRoutes(app: FastifyInstance, deps: WebhookRouteDeps): void {
  const streams = trackStreams(app);
  app.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/*',
    handler: async (request, reply) => {
      const time = feedOf(deps) ? deps.now() : undefined;
      const started = performance.now();
      const query = request.url.indexOf('?');
      const path = trimSlash(query === -1 ? request.url : request.url.slice(0, query));
      const rawBody = rawBodyOf(request.body);
      const headers = flatten(request.headers);
      const body = parseBody(rawBody, headers['content-type']);
      let adapter = deps.adapterNow?.();
      if (!adapter) {
        try {
          adapter = await deps.getAdapter();
        } catch (error) {
          return reply.code(503).send({ error: { message: `the adapter is not available: ${messageOf(error)}` } });
        }
      }
      const hook = adapter.webhooks.find((candidate) => trimSlash(candidate.path) === path);
      if (!hook) return reply.code(404).send({ error: { message: `no route for ${request.method} ${path}` } });
      const providerRequest: ProviderRequest = {
        method: request.method,
        path,
        headers,
        query: flatten(request.query as Record<string, unknown>),
        rawBody,
        body,
      };
      const tags: ExchangeTags = {};
      let answer: ProviderReply | undefined;
      let error: string | undefined;
      try {
        const ctx = buildContext(deps, request.log, deps.shutdown, tags);
        if (hook.stream) {
          const context = (signal: () => AbortSignal) => buildContext(deps, request.log, { signal }, tags);
          answer = await serveStream(hook, providerRequest, request, reply, { open: streams, context });
          if (!answer) return reply;
        } else answer = await runHandler(hook, providerRequest, deps, ctx, tags);
      } catch (caught) {
        error = messageOf(caught);
        if (caught instanceof OutboxFullError || caught instanceof OutboxUnavailableError) {
          // Nothing was recorded (a full disk, a full outbox): the provider sends it again later.
          if (caught instanceof OutboxUnavailableError)
            request.log.error({ err: caught }, 'outbox cannot record events');
          answer = { status: 503, headers: { 'retry-after': '5' }, body: { error: { message: error } } };
        } else {
          request.log.error({ err: caught }, 'provider webhook failed');
          // Nothing was recorded: a 500 makes the provider send it again.
          answer = { status: 500, body: { error: { message: error } } };
        }
      }
      feedOf(deps)?.publish({
        time: time ?? deps.now(),
        leg: 'provider',
        direction: 'in',
        method: request.method,
        // A provider that cannot sign its callbacks carries a secret in the URL (Gupshup, ClickSend).
        url: maskText(request.url, deps.secrets ?? secretValues(deps.env)),
        status: answer?.status ?? 200,
        latencyMs: performance.now() - started,
        requestHeaders: maskHeaders(request.headers),
        requestBody: body,
        responseBody: answer && 'body' in answer && !Buffer.isBuffer(answer.body) ? answer.body : undefined,
        ...tags,
        ...(error ? { error } : {}),
      });
      return sendReply(reply, answer);
    },
  });
}
