/**
 * `POST /message`: respond.io (or the emulator) asks the bridge to send a message. Token first
 * (constant time), then the body, the adapter's capabilities, and `adapter.send`, retried on
 * a retryable failure while the answer budget lasts (below respond.io's timeout). When the
 * budget runs out the send queue takes the message and respond.io gets a bridge mId; a
 * refusal is answered at once. Every answer is `{ "mId" }` or `{ "error": { "message" } }`.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { parseMessageRequest } from '../contract/message-endpoint.js';
import { formatProblem, problemsOf } from '../contract/problems.js';
import { messageOf } from '../errors.js';
import { bearerChecker, maskHeaders } from '../secrets.js';
import type { SendQueue } from '../send-queue/types.js';
import type { Adapter, SendInput } from './adapter.js';
import { jsonDepthProblem, keepTextBodies, parseText } from './body.js';
import { type ContextDeps, type ExchangeTags, feedOf } from './context.js';
import { retryDelay } from './provider-status.js';
import { type AttemptOutcome, attemptSend, startAttempt } from './send-attempt.js';
import { publishQueueRecord } from './send-worker.js';

export interface MessageRouteDeps extends ContextDeps {
  token: string;
  getAdapter: () => Promise<Adapter>;
  /** The adapter when it is known without waiting (one passed as an object), else undefined. */
  adapterNow?: () => Adapter | undefined;
  /** The answer budget: tries and retries of one `/message` end within it. */
  sendTimeoutMs: number;
  /** The durable send queue, when on (undefined until the bridge is ready, or when off). */
  sendQueue?: () => SendQueue | undefined;
  sendPolicy?: SendPolicy;
  /** Counts an answer of the route (the `/message` metrics): its status and time (ms). */
  onAnswered?: (statusCode: number, ms: number) => void;
  /** Writes the answer's request line (Fastify writes none for `/message`: see logging.ts). */
  logAnswer?: (request: FastifyRequest, statusCode: number, ms: number) => void;
  /** Counts a retry of the provider send (the `provider_send_retries_total` metric). */
  onProviderRetry?: (adapter: string) => void;
}

interface Answer {
  status: number;
  body: { mId: string } | { error: { message: string; problems?: string[] } };
}

const fail = (status: number, message: string, problems?: string[]): Answer => ({
  status,
  body: { error: problems ? { message, problems } : { message } },
});

/** Why the adapter cannot send this message, or undefined when it can. */
export function unsupportedReason(adapter: Adapter, message: SendInput['message']): string | undefined {
  const { messageTypes, attachmentTypes } = adapter.capabilities;
  if (!messageTypes.includes(message.type)) {
    return `message type "${message.type}" is not supported by the ${adapter.name} adapter (supported: ${messageTypes.join(', ')})`;
  }
  if (message.type === 'attachment' && attachmentTypes && !attachmentTypes.includes(message.attachment.type)) {
    return `attachment type "${message.attachment.type}" is not supported by the ${adapter.name} adapter (supported: ${attachmentTypes.join(', ')})`;
  }
  return undefined;
}

/** What `/message` needs of the send queue and its retry timing. */
export interface SendPolicy {
  /** Backoff between tries inside the budget (ms). */
  baseMs: number;
  maxMs: number;
  /** A Retry-After longer than this is cut to it. */
  maxRetryAfterMs: number;
}

export const DEFAULT_SEND_POLICY: SendPolicy = { baseMs: 250, maxMs: 2000, maxRetryAfterMs: 300_000 };

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
let idPrefix = '';
let idCount = 0;

/**
 * A bridge-issued mId, also the idempotency key of every try of this message: `cc-` and a UUID
 * v4 whose last 8 hex digits count up from a random prefix made per process (about 90 random
 * bits; a new one every 2^32 ids). Unique like a random UUID without a CSPRNG call per send,
 * which showed in profiles of `/message`.
 * @example newSendId() // 'cc-3b1f0e2a-9c4d-4e8f-a1b2-c3d400000000'
 */
export function newSendId(): string {
  if (idCount === 0) idPrefix = `cc-${randomUUID().slice(0, 28)}`;
  const n = idCount;
  idCount = (idCount + 1) >>> 0;
  return idPrefix + HEX[n >>> 24] + HEX[(n >>> 16) & 255] + HEX[(n >>> 8) & 255] + HEX[n & 255];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One `/message` send: what every try and a queued record of it share. */
interface Sending {
  adapter: Adapter;
  input: SendInput;
  deps: MessageRouteDeps;
  log: FastifyBaseLogger;
  tags: ExchangeTags;
  id: string;
  receivedAt: number;
  deadline: number;
  queue: SendQueue | undefined;
  seq: number;
}

/**
 * Tries the provider until it answers, refuses, or the answer budget runs out; then (queue on)
 * records the send durably and answers with a bridge mId, or (queue off) answers the last error.
 * The usual case (a file queue, the first try answers) runs without an async function of its
 * own: each one, with its awaits, showed in profiles of `/message`.
 */
function sendWithinBudget(
  adapter: Adapter,
  received: SendInput,
  deps: MessageRouteDeps,
  log: FastifyBaseLogger,
  tags: ExchangeTags,
): Promise<Answer> {
  const id = newSendId();
  // `received` is the parse's fresh copy of the body: set the key on it rather than copy it again.
  const input: SendInput = received;
  input.idempotencyKey = id;
  const sending: Sending = {
    adapter,
    input,
    deps,
    log,
    tags,
    id,
    receivedAt: deps.now(),
    deadline: performance.now() + deps.sendTimeoutMs,
    queue: deps.sendQueue?.(),
    seq: 0,
  };
  const { queue } = sending;
  // Asked at once: the whole budget is left (budgetLeft would read the clock again).
  if (!queue) return firstTry(sending, deps.sendTimeoutMs);
  // The file queue answers at once; a shared one asks its store (both questions in one round trip).
  const arrival = queue.nextSeq();
  const waiting = queue.busy(input.contactId);
  if (typeof arrival === 'number' && typeof waiting === 'boolean') {
    sending.seq = arrival;
    return waiting ? queueBehind(sending) : firstTry(sending, deps.sendTimeoutMs);
  }
  return askStore(sending, arrival, waiting);
}

async function askStore(
  sending: Sending,
  arrival: number | Promise<number>,
  waiting: boolean | Promise<boolean>,
): Promise<Answer> {
  let busy: boolean;
  try {
    sending.seq = await arrival;
    busy = await waiting;
  } catch (error) {
    // Its store is unreachable: try the provider as if there were no queue (the last error is answered).
    sending.log.error({ err: error }, 'send queue unavailable');
    Promise.resolve(waiting).catch(() => {});
    sending.queue = undefined;
    return firstTry(sending);
  }
  return busy ? queueBehind(sending) : firstTry(sending);
}

/** Earlier messages of this contact are waiting: this one may not overtake them. */
function queueBehind(sending: Sending): Promise<Answer> {
  const { id, seq, input, receivedAt } = sending;
  return enqueue(sending.queue as SendQueue, sending.deps, sending.tags, {
    id,
    seq,
    input,
    receivedAt,
    attempts: 0,
    nextAt: receivedAt,
  });
}

/** What is left of the answer budget for the next try (ms, at least 1). */
const budgetLeft = (sending: Sending) => Math.max(1, sending.deadline - performance.now());

function tryOnce(sending: Sending): Promise<AttemptOutcome> {
  const { adapter, input, deps, log, tags } = sending;
  return attemptSend(adapter, input, deps, log, tags, budgetLeft(sending));
}

/** The first try, its outcome turned into the answer in the same step (one promise per send). */
function firstTry(sending: Sending, timeoutMs = budgetLeft(sending)): Promise<Answer> {
  const { adapter, input, deps, log, tags } = sending;
  return new Promise((resolve) => {
    const settle = (outcome: AttemptOutcome) => {
      if (outcome.ok) resolve({ status: 200, body: { mId: outcome.mId } });
      else if (!outcome.retry) resolve(fail(outcome.status, outcome.error));
      else resolve(keepTrying(sending, outcome));
    };
    startAttempt(settle, adapter, input, deps, log, tags, timeoutMs);
  });
}

/** After a first try that may pass later: retries within the budget, then queues or fails. */
async function keepTrying(sending: Sending, first: Extract<AttemptOutcome, { retry: true }>): Promise<Answer> {
  const { adapter, input, deps, log, queue } = sending;
  const policy = deps.sendPolicy ?? DEFAULT_SEND_POLICY;
  const release = queue?.hold(input.contactId);
  let attempts = 1;
  let last = first;
  let delay = 0;
  try {
    for (;;) {
      delay = retryDelay(attempts, last.retryAfterMs, policy);
      if (performance.now() + delay >= sending.deadline) break;
      log.debug({ attempts, delay, error: last.error }, 'send failed; retrying');
      await sleep(delay);
      deps.onProviderRetry?.(adapter.name);
      const outcome = await tryOnce(sending);
      attempts += 1;
      if (outcome.ok) return { status: 200, body: { mId: outcome.mId } };
      if (!outcome.retry) return fail(outcome.status, outcome.error);
      last = outcome;
    }
    const why = `${last.error} (${attempts} ${attempts === 1 ? 'try' : 'tries'} within ${deps.sendTimeoutMs} ms)`;
    if (!queue) return fail(last.timedOut ? 408 : 400, `the provider did not take the message: ${why}`);
    log.warn({ attempts, error: last.error }, 'provider unavailable: message queued');
    const nextAt = deps.now() + Math.max(0, delay - Math.max(0, sending.deadline - performance.now()));
    const { id, seq, receivedAt } = sending;
    const send = { id, seq, input, receivedAt, attempts, lastError: last.error, nextAt };
    return await enqueue(queue, deps, sending.tags, last.timedOut ? { ...send, uncertain: true } : send);
  } finally {
    release?.();
  }
}

async function enqueue(
  queue: SendQueue,
  deps: MessageRouteDeps,
  tags: ExchangeTags,
  send: Parameters<SendQueue['enqueue']>[0],
): Promise<Answer> {
  try {
    await queue.enqueue(send);
  } catch (error) {
    deps.log.error({ err: error }, 'send queue write failed');
    return fail(400, `the provider is unavailable and the message could not be queued: ${messageOf(error)}`);
  }
  publishQueueRecord(deps, { ...tags, mId: send.id }, 'queued', send.attempts, {
    idempotencyKey: send.id,
    nextAt: send.nextAt,
    ...(send.lastError ? { lastError: send.lastError } : {}),
  });
  return { status: 200, body: { mId: send.id } };
}

function answerMessage(
  headers: Record<string, unknown>,
  requestBody: unknown,
  text: string,
  deps: MessageRouteDeps & { checkToken: ReturnType<typeof bearerChecker> },
  log: FastifyBaseLogger,
  tags: ExchangeTags,
): Answer | Promise<Answer> {
  const token = deps.checkToken(headers.authorization as string | undefined);
  if (token === 'missing') return fail(401, 'missing bearer token: send "Authorization: Bearer <channel API token>"');
  if (token === 'invalid') return fail(401, 'invalid token');
  if (text.length === 0) return fail(400, 'empty body: expected JSON { channelId, contactId, message }');
  if (typeof requestBody === 'string' || requestBody === undefined) {
    return fail(400, jsonDepthProblem(text) ?? 'body is not valid JSON: expected { channelId, contactId, message }');
  }
  const parsed = parseMessageRequest(requestBody);
  if (!parsed.success) {
    const problems = problemsOf(parsed.error, requestBody).map(formatProblem);
    return fail(400, `invalid message: ${problems.join('; ')}`, problems);
  }
  const input = parsed.data;
  tags.contactId = input.contactId;
  tags.messageType = input.message.type;
  if (input.channelId !== deps.channel.channelId) {
    return fail(400, `channelId "${input.channelId}" is not this channel's ("${deps.channel.channelId}")`);
  }
  const known = deps.adapterNow?.();
  if (known) return sendTo(known, input, deps, log, tags);
  return deps.getAdapter().then(
    (adapter) => sendTo(adapter, input, deps, log, tags),
    (error) => {
      log.error({ err: error }, 'adapter unavailable');
      return fail(503, `the adapter is not available: ${messageOf(error)}`);
    },
  );
}

function sendTo(
  adapter: Adapter,
  input: SendInput,
  deps: MessageRouteDeps,
  log: FastifyBaseLogger,
  tags: ExchangeTags,
): Answer | Promise<Answer> {
  const unsupported = unsupportedReason(adapter, input.message);
  if (unsupported) return fail(400, unsupported);
  return sendWithinBudget(adapter, input, deps, log, tags);
}

/** The success answer's shape: Fastify serializes it with a compiled serializer, not JSON.stringify. */
const MESSAGE_ROUTE: RouteShorthandOptions = {
  schema: { response: { 200: { type: 'object', properties: { mId: { type: 'string' } }, required: ['mId'] } } },
};

/** What the route knows of one request when its answer is ready. */
interface Asked {
  request: FastifyRequest;
  reply: FastifyReply;
  requestBody: unknown;
  tags: ExchangeTags;
  /** `deps.now()` at arrival, read only when the exchange feed is on. */
  time: number | undefined;
  started: number;
}

/** Records the exchange (when the feed is on), counts the answer and sends it. */
function send(deps: MessageRouteDeps, asked: Asked, answer: Answer): void {
  const { request, tags } = asked;
  if ('mId' in answer.body) tags.mId = answer.body.mId;
  const latencyMs = performance.now() - asked.started;
  feedOf(deps)?.publish({
    time: asked.time ?? deps.now(),
    leg: 'respondio',
    direction: 'in',
    method: 'POST',
    url: request.url,
    status: answer.status,
    latencyMs,
    requestHeaders: maskHeaders(request.headers),
    requestBody: asked.requestBody,
    responseBody: answer.body,
    ...tags,
    ...('error' in answer.body ? { error: answer.body.error.message } : {}),
  });
  // The route's own clock: `reply.elapsedTime` is 0 unless Fastify has a logger or an onResponse hook.
  deps.onAnswered?.(answer.status, latencyMs);
  deps.logAnswer?.(request, answer.status, latencyMs);
  // 200 is the reply's default: `code()` validates its argument on every call.
  if (answer.status === 200) asked.reply.send(answer.body);
  else asked.reply.code(answer.status).send(answer.body);
}

export function registerMessageRoute(app: FastifyInstance, options: MessageRouteDeps): void {
  const deps = { ...options, checkToken: bearerChecker(options.token) };
  // A scope of its own, for its body parsers: `/message` reads its body as text (body.ts).
  app.register(async (scope) => {
    keepTextBodies(scope);
    // Not an async handler: an answer that waits on the send is sent from the send's own
    // callback, a promise step sooner than an `await` here would.
    scope.post('/message', MESSAGE_ROUTE, (request, reply) => {
      const started = performance.now();
      const time = feedOf(deps) ? deps.now() : undefined;
      const text = typeof request.body === 'string' ? request.body : '';
      const requestBody = parseText(text, 'application/json', 'text');
      const tags: ExchangeTags = {};
      const asked: Asked = { request, reply, requestBody, tags, time, started };
      const answered = answerMessage(request.headers, requestBody, text, deps, request.log, tags);
      if (!(answered instanceof Promise)) return send(deps, asked, answered);
      answered.then(
        (answer) => send(deps, asked, answer),
        (error) => reply.send(error),
      );
    });
  });
}
