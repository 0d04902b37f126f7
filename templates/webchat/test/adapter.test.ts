import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AdapterContext,
  type BridgeEvent,
  type ProviderReply,
  type StreamStart,
  WebhookBodySchema,
  type WebhookHandler,
} from 'custom-channel';
import { describe, expect, it } from 'vitest';
import adapter, { MAX_TEXT, PATHS } from '../src/adapter.ts';
import { ConversationStore } from '../src/store.ts';
import { mintToken, newVisitorId, verifyToken } from '../src/token.ts';
import { buildContext, SECRET, widgetRequest } from './helpers.ts';

const hook = (path: string): WebhookHandler => {
  const found = adapter.webhooks.find((h) => h.path === path);
  if (!found) throw new Error(`no route ${path}`);
  return found;
};
const call = async (path: string, body: unknown, ctx: AdapterContext, headers?: Record<string, string>) =>
  hook(path).handle(widgetRequest(path, body, headers), ctx);
const replyOf = async (result: Promise<{ reply?: ProviderReply; events: BridgeEvent[] }>) => (await result).reply;

function expectValid(events: BridgeEvent[]) {
  for (const e of events) {
    const parsed = WebhookBodySchema.safeParse({
      channelId: 'gfd8g7fd89dgfd',
      contactId: e.contactId,
      events: [e.event],
    });
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  }
}

/** A visitor with a token, who wrote once. */
async function visitor(ctx: AdapterContext) {
  const session = (await replyOf(call(PATHS.session, {}, ctx)))?.body as { visitorId: string; token: string };
  return session;
}

describe('visitor tokens', () => {
  it('are signed: only this secret makes them, for this visitor only', () => {
    const id = newVisitorId();
    expect(id).toMatch(/^v[0-9a-f]{24}$/);
    const token = mintToken(SECRET, id);
    expect(verifyToken(SECRET, token)).toBe(id);
    expect(verifyToken(`${SECRET}x`, token)).toBeUndefined();
    const other = newVisitorId();
    expect(verifyToken(SECRET, `${other}.${token.split('.')[1]}`)).toBeUndefined();
    for (const bad of [
      '',
      '.',
      'abc',
      `${id}.`,
      `${id}.x`,
      42,
      null,
      `${'a'.repeat(300)}.x`,
      `bad id!.${token.split('.')[1]}`,
    ]) {
      expect(verifyToken(SECRET, bad)).toBeUndefined();
    }
  });

  it('fail closed: no secret, or a short one, verifies nothing and issues nothing', async () => {
    const token = mintToken('short', 'v1');
    expect(verifyToken('short', token)).toBeUndefined();
    expect(verifyToken(undefined, token)).toBeUndefined();
    const { ctx, logs } = buildContext({});
    expect(await replyOf(call(PATHS.session, {}, ctx))).toMatchObject({ status: 503 });
    expect(await replyOf(call(PATHS.messages, { token, text: 'hi' }, ctx))).toMatchObject({ status: 401 });
    expect(logs.some((l) => /WEBCHAT_SECRET is not set/.test(l.msg))).toBe(true);
  });
});

describe('session', () => {
  it('gives a new visitor an ID and token, and a returning visitor their own again', async () => {
    const { ctx } = buildContext();
    const first = await visitor(ctx);
    expect(verifyToken(SECRET, first.token)).toBe(first.visitorId);
    const again = (await replyOf(call(PATHS.session, { token: first.token }, ctx)))?.body;
    expect(again).toEqual(first);
    const forged = (await replyOf(call(PATHS.session, { token: `${first.visitorId}.AAAA` }, ctx)))?.body as {
      visitorId: string;
    };
    expect(forged.visitorId).not.toBe(first.visitorId);
  });

  it('answers only the own origin and WEBCHAT_ALLOWED_ORIGINS, with CORS headers', async () => {
    const { ctx } = buildContext({
      WEBCHAT_SECRET: SECRET,
      WEBCHAT_ALLOWED_ORIGINS: 'https://shop.example.com, https://www.example.com/',
    });
    const allowed = await replyOf(call(PATHS.session, {}, ctx, { origin: 'https://www.example.com' }));
    expect(allowed?.status).toBe(200);
    expect(allowed?.headers?.['access-control-allow-origin']).toBe('https://www.example.com');
    const own = await replyOf(call(PATHS.session, {}, ctx, { origin: 'https://chat.example.com' }));
    expect(own?.status).toBe(200);
    for (const origin of ['https://evil.example', 'null', 'https://shop.example.com.evil.example']) {
      expect((await replyOf(call(PATHS.session, {}, ctx, { origin })))?.status).toBe(403);
    }
  });
});

describe('visitor messages', () => {
  it('become respond.io messages of the visitor (Custom ID), kept in the conversation', async () => {
    const { ctx } = buildContext();
    const { visitorId, token } = await visitor(ctx);
    const result = await call(PATHS.messages, { token, text: '  <b>Hi</b> & <img src=x onerror=alert(1)>  ' }, ctx);
    expectValid(result.events);
    expect(result.events).toHaveLength(1);
    expect(result.events[0]).toMatchObject({
      contactId: visitorId,
      event: { type: 'message', message: { type: 'text', text: '<b>Hi</b> & <img src=x onerror=alert(1)>' } },
    });
    const { mId } = (result.reply?.body ?? {}) as { mId: string };
    expect(result.events[0].event.mId).toBe(mId);
    expect(mId.length).toBeLessThanOrEqual(50);
    const store = new ConversationStore(join(ctx.stateDir as string, 'webchat'), 200);
    expect((await store.list(visitorId)).map((m) => m.mId)).toEqual([mId]);
  });

  it('refuse empty, too long, malformed and unauthenticated bodies without events', async () => {
    const { ctx } = buildContext();
    const { token } = await visitor(ctx);
    for (const [body, status] of [
      [{ token, text: '   ' }, 400],
      [{ token, text: 'x'.repeat(MAX_TEXT + 1) }, 400],
      [{ token, text: 42 }, 400],
      [{ text: 'hi' }, 401],
      ['not json', 401],
      [[token], 401],
      [{ token: `${token}x`, text: 'hi' }, 401],
      [`{"token":"${token}","text":"${'y'.repeat(20_000)}"}`, 401],
    ] as const) {
      const result = await call(PATHS.messages, body, ctx);
      expect(result.events, JSON.stringify(body).slice(0, 60)).toEqual([]);
      expect(result.reply?.status).toBe(status);
    }
  });

  it('are rate-limited per visitor: a burst of 10, then 429 with Retry-After; others are not affected', async () => {
    const { ctx, advance } = buildContext();
    const a = await visitor(ctx);
    const b = await visitor(ctx);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await replyOf(call(PATHS.messages, { token: a.token, text: `m${i}` }, ctx)))?.status ?? 0);
    expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
    const limited = await replyOf(call(PATHS.messages, { token: a.token, text: 'again' }, ctx));
    expect(limited?.status).toBe(429);
    expect(Number(limited?.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await replyOf(call(PATHS.messages, { token: b.token, text: 'hi' }, ctx)))?.status).toBe(200);
    advance(2_000); // 30 a minute: one more after 2 s
    expect((await replyOf(call(PATHS.messages, { token: a.token, text: 'later' }, ctx)))?.status).toBe(200);
  });
});

describe('respond.io -> visitor, and receipts', () => {
  it('send keeps the message for the visitor and returns its mId', async () => {
    const { ctx } = buildContext();
    const { visitorId } = await visitor(ctx);
    const { mId } = await adapter.send(
      { channelId: 'c', contactId: visitorId, message: { type: 'text', text: 'Hello!' } },
      ctx,
    );
    expect(mId).toMatch(/^wb[0-9a-f]{32}$/);
    const store = new ConversationStore(join(ctx.stateDir as string, 'webchat'), 200);
    expect(await store.list(visitorId)).toMatchObject([
      { mId, from: 'business', status: 'sent', message: { text: 'Hello!' } },
    ]);
  });

  it('reports delivered then read once each, only forward, only for the visitor own messages', async () => {
    const { ctx } = buildContext();
    const alice = await visitor(ctx);
    const bob = await visitor(ctx);
    const { mId } = await adapter.send(
      { channelId: 'c', contactId: alice.visitorId, message: { type: 'text', text: 'Hi' } },
      ctx,
    );
    const receipt = async (token: string, status: string, id = mId) =>
      (await call(PATHS.receipts, { token, mId: id, status }, ctx)).events;

    expect(await receipt(bob.token, 'read')).toEqual([]); // someone else's message
    const delivered = await receipt(alice.token, 'delivered');
    expectValid(delivered);
    expect(delivered.map((e) => e.event.type === 'message_status' && e.event.status.value)).toEqual(['delivered']);
    expect(await receipt(alice.token, 'delivered')).toEqual([]); // repeat (a reload replays history)
    expect((await receipt(alice.token, 'read')).map((e) => e.event.mId)).toEqual([mId]);
    expect(await receipt(alice.token, 'delivered')).toEqual([]); // backwards
    expect(await receipt(alice.token, 'read', 'wb-unknown')).toEqual([]);
    expect((await call(PATHS.receipts, { token: alice.token, mId, status: 'failed' }, ctx)).reply?.status).toBe(400);
  });

  it('a read that overtakes its delivered reports both, in order', async () => {
    const { ctx } = buildContext();
    const { visitorId, token } = await visitor(ctx);
    const { mId } = await adapter.send(
      { channelId: 'c', contactId: visitorId, message: { type: 'text', text: 'Hi' } },
      ctx,
    );
    const events = (await call(PATHS.receipts, { token, mId, status: 'read' }, ctx)).events;
    expect(events.map((e) => e.event.type === 'message_status' && e.event.status.value)).toEqual(['delivered', 'read']);
  });
});

describe('conversation store', () => {
  it('is bounded per visitor and survives a restart (a new store on the same folder)', async () => {
    const { ctx } = buildContext();
    const dir = join(ctx.stateDir as string, 'bounded');
    const store = new ConversationStore(dir, 3);
    for (let i = 0; i < 5; i++)
      await store.append('v1', { mId: `m${i}`, from: 'visitor', message: { type: 'text', text: `${i}` }, at: i });
    const reopened = new ConversationStore(dir, 3);
    expect((await reopened.list('v1')).map((m) => m.mId)).toEqual(['m2', 'm3', 'm4']);
    expect(await reopened.list('v2')).toEqual([]);
  });

  it('loses no update when many writes of one visitor overlap', async () => {
    const { ctx } = buildContext();
    const store = new ConversationStore(join(ctx.stateDir as string, 'concurrent'), 500);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.append('v1', { mId: `m${i}`, from: 'visitor', message: { type: 'text', text: 'x' }, at: i }),
      ),
    );
    expect(await new ConversationStore(store.dir, 500).list('v1')).toHaveLength(50);
  });

  it('sets a corrupt file aside and starts the conversation again, with a warning', async () => {
    const { ctx } = buildContext();
    const warnings: string[] = [];
    const store = new ConversationStore(join(ctx.stateDir as string, 'corrupt'), 10, (msg) => warnings.push(msg));
    await store.append('v1', { mId: 'm1', from: 'visitor', message: { type: 'text', text: 'x' }, at: 1 });
    writeFileSync(store.fileOf('v1'), '{"visitorId":"v1","messages":[{"mId":');
    const fresh = new ConversationStore(store.dir, 10, (msg) => warnings.push(msg));
    expect(await fresh.list('v1')).toEqual([]);
    expect(warnings.join()).toMatch(/unreadable/);
    expect(readdirSync(store.dir).some((f) => f.includes('.corrupt-'))).toBe(true);
  });
});

describe('the widget', () => {
  const source = readFileSync(new URL('../src/widget/widget.js', import.meta.url), 'utf8');

  it('is served as JavaScript that cannot be sniffed as something else', async () => {
    const { ctx } = buildContext();
    const reply = await hook(PATHS.widget).handshake?.(
      { ...widgetRequest(PATHS.widget, undefined), method: 'GET' },
      ctx,
    );
    expect(reply?.status).toBe(200);
    expect(reply?.headers?.['content-type']).toMatch(/^text\/javascript/);
    expect(reply?.headers?.['x-content-type-options']).toBe('nosniff');
    expect(String(reply?.body)).toBe(source);
  });

  it('never writes message content as HTML, and only links http(s) URLs', () => {
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function']) {
      expect(source, sink).not.toContain(sink);
    }
    expect(source).toContain("url.protocol === 'https:' || url.protocol === 'http:'");
  });

  it('serves a demo page under a strict Content-Security-Policy', async () => {
    const { ctx } = buildContext();
    const reply = await hook(PATHS.demo).handshake?.({ ...widgetRequest(PATHS.demo, undefined), method: 'GET' }, ctx);
    expect(reply?.headers?.['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'/);
    expect(String(reply?.body)).toContain('<script src="widget.js"');
  });

  it('streams only to a verified visitor, from an allowed origin', async () => {
    const { ctx } = buildContext();
    const { token } = await visitor(ctx);
    const stream = hook(PATHS.stream).stream as NonNullable<WebhookHandler['stream']>;
    expect(await stream(widgetRequest(PATHS.stream, { token: 'v1.x' }), ctx)).toMatchObject({ status: 401 });
    expect(await stream(widgetRequest(PATHS.stream, { token }, { origin: 'https://evil.example' }), ctx)).toMatchObject(
      { status: 403 },
    );
    const start = (await stream(widgetRequest(PATHS.stream, { token }), ctx)) as StreamStart;
    expect(typeof start.open).toBe('function');
  });
});
