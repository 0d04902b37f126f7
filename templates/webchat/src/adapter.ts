/**
 * respond.io <-> a chat widget on your own website. The server serves the widget
 * (`/webchat/widget.js`, one script tag) and its endpoints; a visitor's messages become respond.io
 * messages (Custom ID contacts: the visitor ID), respond.io's messages reach the visitor's open
 * pages live over Server-Sent Events and are kept for a visitor who comes back; the page reports
 * `delivered` when it received a message and `read` when the visitor could see it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AdapterContext,
  type BridgeEvent,
  defineAdapter,
  type ProviderReply,
  type ProviderRequest,
} from 'custom-channel';
import { answer, corsHeaders, forbiddenOrigin, jsonBody } from './http.ts';
import * as hub from './hub.ts';
import { RateLimiter } from './limits.ts';
import { ConversationStore, type Entry, type Status } from './store.ts';
import { mintToken, newVisitorId, secretProblem, verifyToken } from './token.ts';

export const PATHS = {
  widget: '/webchat/widget.js',
  demo: '/webchat/demo',
  session: '/webchat/session',
  messages: '/webchat/messages',
  receipts: '/webchat/receipts',
  stream: '/webchat/stream',
} as const;

export const MAX_TEXT = 4000;
const WIDGET = readFileSync(new URL('./widget/widget.js', import.meta.url));

/** One store per folder, shared across adapter reloads so writes of one visitor stay serial. */
const STORES = Symbol.for('custom-channel.webchat.stores');
const registry = globalThis as { [STORES]?: Map<string, ConversationStore> };
const stores = registry[STORES] ?? new Map<string, ConversationStore>();
registry[STORES] = stores;

function storeOf(ctx: AdapterContext): ConversationStore {
  const dir =
    ctx.env.WEBCHAT_DATA_DIR || join(ctx.stateDir ?? join(process.cwd(), '.custom-channel', 'adapter'), 'webchat');
  let store = stores.get(dir);
  if (!store) {
    const limit = Number(ctx.env.WEBCHAT_HISTORY_LIMIT) > 0 ? Math.floor(Number(ctx.env.WEBCHAT_HISTORY_LIMIT)) : 200;
    store = new ConversationStore(dir, limit, (msg, data) => ctx.log.warn(msg, data));
    stores.set(dir, store);
  }
  return store;
}

const limiters = new Map<string, RateLimiter>();
/** Messages: WEBCHAT_RATE_PER_MINUTE (default 30) with bursts of 10; receipts and streams: 4 times that. */
function limiterOf(ctx: AdapterContext, kind: 'messages' | 'receipts'): RateLimiter {
  const perMinute =
    (Number(ctx.env.WEBCHAT_RATE_PER_MINUTE) > 0 ? Number(ctx.env.WEBCHAT_RATE_PER_MINUTE) : 30) *
    (kind === 'messages' ? 1 : 4);
  const key = `${kind}:${perMinute}`;
  let limiter = limiters.get(key);
  if (!limiter) {
    limiter = new RateLimiter(perMinute, kind === 'messages' ? 10 : 40);
    limiters.set(key, limiter);
  }
  return limiter;
}

type Authorized = { visitorId: string; headers: Record<string, string>; body: Record<string, unknown> };

/** Origin, then secret, then token, then rate: every refusal carries CORS headers so the page can read it. */
function authorize(
  request: ProviderRequest,
  ctx: AdapterContext,
  kind: 'messages' | 'receipts',
): Authorized | { reply: ProviderReply } {
  const headers = corsHeaders(request, ctx);
  if (!headers) return { reply: forbiddenOrigin(request) };
  const problem = secretProblem(ctx.env.WEBCHAT_SECRET);
  if (problem) {
    ctx.log.warn(`${problem}: the web chat refuses every visitor until it is`);
    return {
      reply: answer(
        401,
        { error: { message: 'the web chat is not configured on the server (WEBCHAT_SECRET)' } },
        headers,
      ).reply,
    };
  }
  const body = jsonBody(request);
  const visitorId = verifyToken(ctx.env.WEBCHAT_SECRET, body?.token);
  if (!body || !visitorId)
    return { reply: answer(401, { error: { message: 'missing or invalid visitor token' } }, headers).reply };
  const wait = limiterOf(ctx, kind).take(visitorId, ctx.now());
  if (wait > 0) {
    return {
      reply: answer(
        429,
        { error: { message: `too many requests: retry in ${wait} s` } },
        { ...headers, 'retry-after': String(wait) },
      ).reply,
    };
  }
  return { visitorId, headers, body };
}

const get = (path: string, serve: (request: ProviderRequest, ctx: AdapterContext) => ProviderReply) => ({
  path,
  handshake: serve,
  handle: () => answer(405, { error: { message: 'use GET' } }),
});

const DEMO_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Web chat demo</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>Web chat demo</h1><p>The chat button is in the bottom right corner.</p>
<script src="widget.js" data-open="true" defer></script></body></html>`;

export default defineAdapter({
  name: 'webchat',
  capabilities: {
    messageTypes: ['text', 'attachment', 'location', 'quick_reply', 'custom_payload'],
    attachmentTypes: ['image', 'video', 'audio', 'file'],
    statuses: ['sent', 'delivered', 'read'],
  },

  async send(input, ctx) {
    const entry: Entry = {
      mId: `wb${crypto.randomUUID().replaceAll('-', '')}`,
      from: 'business',
      message: input.message,
      at: ctx.now(),
      status: 'sent',
    };
    // Kept first: a visitor who is not on the page now gets it when they come back.
    await storeOf(ctx).append(input.contactId, entry);
    const pages = hub.publish(input.contactId, 'message', entry);
    ctx.log.debug('webchat message stored', { visitorId: input.contactId, openPages: pages });
    return { mId: entry.mId };
  },

  webhooks: [
    get(PATHS.widget, () => ({
      status: 200,
      headers: {
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'public, max-age=300',
        'x-content-type-options': 'nosniff',
        // Any site may load the script; only WEBCHAT_ALLOWED_ORIGINS may use the endpoints.
        'cross-origin-resource-policy': 'cross-origin',
      },
      body: WIDGET,
    })),
    get(PATHS.demo, () => ({
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy':
          "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' https: data:; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
      },
      body: DEMO_PAGE,
    })),
    {
      path: PATHS.session,
      // A new visitor gets an ID and its token; a returning one (valid token) keeps theirs.
      handle(request, ctx) {
        const headers = corsHeaders(request, ctx);
        if (!headers) return { events: [], reply: forbiddenOrigin(request) };
        const problem = secretProblem(ctx.env.WEBCHAT_SECRET);
        if (problem) {
          ctx.log.warn(`${problem}: the web chat refuses every visitor until it is`);
          return answer(
            503,
            { error: { message: 'the web chat is not configured on the server (WEBCHAT_SECRET)' } },
            headers,
          );
        }
        const secret = ctx.env.WEBCHAT_SECRET as string;
        const visitorId = verifyToken(secret, jsonBody(request)?.token) ?? newVisitorId();
        return answer(200, { visitorId, token: mintToken(secret, visitorId) }, headers);
      },
    },
    {
      path: PATHS.messages,
      async handle(request, ctx) {
        const auth = authorize(request, ctx, 'messages');
        if ('reply' in auth) return { events: [], reply: auth.reply };
        const text = typeof auth.body.text === 'string' ? auth.body.text.trim() : '';
        if (!text || text.length > MAX_TEXT) {
          return answer(400, { error: { message: `text: must be 1 to ${MAX_TEXT} characters` } }, auth.headers);
        }
        const entry: Entry = {
          mId: `wv${crypto.randomUUID().replaceAll('-', '')}`,
          from: 'visitor',
          message: { type: 'text', text },
          at: ctx.now(),
        };
        await storeOf(ctx).append(auth.visitorId, entry);
        hub.publish(auth.visitorId, 'message', entry);
        const event: BridgeEvent = {
          contactId: auth.visitorId,
          event: { type: 'message', mId: entry.mId, timestamp: entry.at, message: entry.message },
        };
        return { events: [event], reply: answer(200, { mId: entry.mId, at: entry.at }, auth.headers).reply };
      },
    },
    {
      path: PATHS.receipts,
      async handle(request, ctx) {
        const auth = authorize(request, ctx, 'receipts');
        if ('reply' in auth) return { events: [], reply: auth.reply };
        const { mId, status } = auth.body;
        if (typeof mId !== 'string' || mId.length > 50 || (status !== 'delivered' && status !== 'read')) {
          return answer(400, { error: { message: 'expected { mId, status: "delivered" | "read" }' } }, auth.headers);
        }
        // Only the visitor's own messages, only forward: a repeat or a foreign mId reports nothing.
        const previous = await storeOf(ctx).advance(auth.visitorId, mId, status);
        const values: Status[] =
          previous === undefined ? [] : status === 'read' && previous === 'sent' ? ['delivered', 'read'] : [status];
        const events: BridgeEvent[] = values.map((value) => ({
          contactId: auth.visitorId,
          event: { type: 'message_status', mId, timestamp: ctx.now(), status: { value } },
        }));
        return { events, reply: answer(200, { ok: true, reported: values }, auth.headers).reply };
      },
    },
    {
      path: PATHS.stream,
      handle: () => answer(405, { error: { message: 'the stream answers GET and POST with an event stream' } }),
      async stream(request, ctx) {
        const auth = authorize(request, ctx, 'receipts');
        if ('reply' in auth) return auth.reply;
        const { visitorId, headers } = auth;
        return {
          headers,
          async open(stream) {
            // Joined first, then the history: a message arriving in between comes twice (the page keeps one), never zero times.
            hub.join(visitorId, stream);
            for (const entry of await storeOf(ctx).list(visitorId)) stream.send({ event: 'message', data: entry });
            stream.send({ event: 'ready', data: { visitorId } });
          },
        };
      },
    },
  ],
});
