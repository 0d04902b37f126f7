/**
 * Streams from adapter routes: a webhook handler with `stream` answers GET and POST with
 * Server-Sent Events instead of one reply (a web chat pushing respond.io's messages to the
 * visitor's open page). The bridge owns the socket: headers, heartbeats that keep proxies and
 * idle timeouts from cutting the stream, and closing every stream when it shuts down.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {
  AdapterContext,
  EventStream,
  ProviderReply,
  ProviderRequest,
  StreamStart,
  WebhookHandler,
} from './adapter.js';

/** A comment line every 15 s: proxies, load balancers and socket idle timeouts see traffic. */
const HEARTBEAT_MS = 15_000;

const oneLine = (text: string) => text.replace(/[\r\n]+/g, ' ');

function isStart(answer: StreamStart | ProviderReply | undefined): answer is StreamStart {
  return typeof (answer as StreamStart | undefined)?.open === 'function';
}

/** Open streams of one bridge, ended before it closes (an open stream would hold `close()` forever). */
export function trackStreams(app: FastifyInstance): Set<() => void> {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });
  return open;
}

/** Builds the stream on a hijacked reply; `end` is idempotent. */
function openStream(reply: FastifyReply, headers: Record<string, string>, open: Set<() => void>) {
  const controller = new AbortController();
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    // Never reused after the stream: a kept-alive socket would hold the bridge's close() for
    // Fastify's keepAliveTimeout (72 s) once the stream ended during shutdown.
    connection: 'close',
    // nginx and similar buffer responses unless told not to.
    'x-accel-buffering': 'no',
  });
  res.write(': stream open\n\n');
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  const end = () => {
    clearInterval(heartbeat);
    open.delete(end);
    if (!controller.signal.aborted) controller.abort(new Error('the stream closed'));
    if (!res.writableEnded) res.end();
  };
  open.add(end);
  // The response's close, not the request's: a request emits 'close' once its body was read.
  res.on('close', end);
  const stream: EventStream = {
    send({ event, id, data }) {
      if (controller.signal.aborted || res.writableEnded) return false;
      // JSON.stringify never emits a raw newline, so one data line always holds one event.
      const lines = [
        event ? `event: ${oneLine(event)}` : '',
        id ? `id: ${oneLine(id)}` : '',
        `data: ${JSON.stringify(data ?? null)}`,
      ];
      res.write(`${lines.filter(Boolean).join('\n')}\n\n`);
      return true;
    },
    close: end,
    signal: controller.signal,
  };
  return stream;
}

/**
 * Answers a request to a handler with `stream`: `verify` first (401), then the handler decides:
 * a `ProviderReply` (a refusal) or a `StreamStart` (the stream opens and `open(stream)` runs).
 * Returns the reply to send, or undefined once the stream has taken over the socket.
 */
export async function serveStream(
  hook: WebhookHandler,
  providerRequest: ProviderRequest,
  request: FastifyRequest,
  reply: FastifyReply,
  deps: { open: Set<() => void>; context: (signal: () => AbortSignal) => AdapterContext },
): Promise<ProviderReply | undefined> {
  let signal: AbortSignal = new AbortController().signal;
  const ctx = deps.context(() => signal);
  if (hook.verify && !(await hook.verify(providerRequest, ctx))) {
    return { status: 401, body: { error: { message: 'signature check failed' } } };
  }
  const answer = await hook.stream?.(providerRequest, ctx);
  if (!isStart(answer)) return answer ?? { status: 404, body: { error: { message: 'no stream here' } } };
  const stream = openStream(reply, answer.headers ?? {}, deps.open);
  signal = stream.signal;
  try {
    await answer.open(stream);
  } catch (error) {
    request.log.error({ err: error }, 'adapter stream failed');
    stream.close();
  }
  return undefined;
}
