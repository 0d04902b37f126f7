/**
 * `POST /message`: respond.io (or the emulator) asks the bridge to send a message. Token first
 * (constant time), then the body, the adapter's capabilities, and `adapter.send` under a
 * timeout. Every answer is `{ "mId" }` or `{ "error": { "message" } }`, never a stack.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { MessageRequestSchema } from '../contract/message-endpoint.js';
import { formatProblem, problemsOf } from '../contract/problems.js';
import { MId } from '../contract/webhook.js';
import { messageOf } from '../errors.js';
import { bearerToken, maskHeaders, safeEqual } from '../secrets.js';
import { type Adapter, AdapterError, type SendInput } from './adapter.js';
import { jsonDepthProblem, parseBody, rawBodyOf } from './body.js';
import { buildContext, type ContextDeps, type ExchangeTags, feedOf } from './context.js';

export interface MessageRouteDeps extends ContextDeps {
  token: string;
  getAdapter: () => Promise<Adapter>;
  sendTimeoutMs: number;
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

async function sendWithTimeout(
  adapter: Adapter,
  input: SendInput,
  deps: MessageRouteDeps,
  log: FastifyBaseLogger,
  tags: ExchangeTags,
): Promise<Answer> {
  // Created on first use: most adapters never read ctx.signal, and an AbortController per
  // request showed up in profiles.
  let controller: AbortController | undefined;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Answer>((resolve) => {
    timer = setTimeout(() => {
      timedOut = true;
      controller?.abort(new Error(`send timed out after ${deps.sendTimeoutMs} ms`));
      resolve(fail(408, `the provider did not answer within ${deps.sendTimeoutMs} ms`));
    }, deps.sendTimeoutMs);
  });
  const ctx = buildContext(
    deps,
    log,
    () => {
      if (!controller) {
        controller = new AbortController();
        if (timedOut) controller.abort(new Error(`send timed out after ${deps.sendTimeoutMs} ms`));
      }
      return controller.signal;
    },
    tags,
  );
  const send = (async (): Promise<Answer> => {
    try {
      const result = await adapter.send(input, ctx);
      const mId = MId.safeParse(result?.mId);
      if (!mId.success) {
        log.error({ mId: result?.mId }, 'adapter returned an invalid mId');
        return fail(
          400,
          `the ${adapter.name} adapter returned an invalid mId (must be a string of 1 to 50 characters)`,
        );
      }
      return { status: 200, body: { mId: mId.data } };
    } catch (error) {
      if (timedOut) return fail(408, `the provider did not answer within ${deps.sendTimeoutMs} ms`);
      if (error instanceof AdapterError) return fail(error.status, error.message);
      log.error({ err: error }, 'adapter send failed');
      return fail(400, messageOf(error) || 'the adapter failed to send the message');
    }
  })();
  try {
    return await Promise.race([send, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function answerMessage(
  headers: Record<string, unknown>,
  requestBody: unknown,
  raw: Buffer,
  deps: MessageRouteDeps,
  log: FastifyBaseLogger,
  tags: ExchangeTags,
): Promise<Answer> {
  const token = bearerToken(headers.authorization as string | undefined);
  if (!token) return fail(401, 'missing bearer token: send "Authorization: Bearer <channel API token>"');
  if (!safeEqual(token, deps.token)) return fail(401, 'invalid token');
  if (raw.length === 0) return fail(400, 'empty body: expected JSON { channelId, contactId, message }');
  if (typeof requestBody === 'string' || requestBody === undefined) {
    return fail(400, jsonDepthProblem(raw) ?? 'body is not valid JSON: expected { channelId, contactId, message }');
  }
  const parsed = MessageRequestSchema.safeParse(requestBody);
  if (!parsed.success) {
    const problems = problemsOf(parsed.error, requestBody).map(formatProblem);
    return fail(400, `invalid message: ${problems.join('; ')}`, problems);
  }
  const input = parsed.data;
  Object.assign(tags, { contactId: input.contactId, messageType: input.message.type });
  if (input.channelId !== deps.channel.channelId) {
    return fail(400, `channelId "${input.channelId}" is not this channel's ("${deps.channel.channelId}")`);
  }
  let adapter: Adapter;
  try {
    adapter = await deps.getAdapter();
  } catch (error) {
    log.error({ err: error }, 'adapter unavailable');
    return fail(503, `the adapter is not available: ${messageOf(error)}`);
  }
  const unsupported = unsupportedReason(adapter, input.message);
  if (unsupported) return fail(400, unsupported);
  return sendWithTimeout(adapter, input, deps, log, tags);
}

export function registerMessageRoute(app: FastifyInstance, deps: MessageRouteDeps): void {
  app.post('/message', async (request, reply) => {
    const time = deps.now();
    const started = performance.now();
    const raw = rawBodyOf(request.body);
    const requestBody = parseBody(raw, 'application/json', 'text');
    const tags: ExchangeTags = {};
    const answer = await answerMessage(request.headers, requestBody, raw, deps, request.log, tags);
    if ('mId' in answer.body) tags.mId = answer.body.mId;
    feedOf(deps)?.publish({
      time,
      leg: 'respondio',
      direction: 'in',
      method: 'POST',
      url: request.url,
      status: answer.status,
      latencyMs: performance.now() - started,
      requestHeaders: maskHeaders(request.headers),
      requestBody,
      responseBody: answer.body,
      ...tags,
      ...('error' in answer.body ? { error: answer.body.error.message } : {}),
    });
    return reply.code(answer.status).send(answer.body);
  });
}
