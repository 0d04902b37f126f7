import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BridgeApp, buildBridge } from '../src/bridge/index.js';
import { type Exchange, ExchangeFeed } from '../src/exchange.js';
import { buildTestAdapter, sign, type TestAdapter, WEBHOOK } from './support/bridge-adapter.js';

const TOKEN = 'tok_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH';
const channel = { channelId: 'chan-1', token: TOKEN, idType: 'phone' as const };
const auth = { authorization: `Bearer ${TOKEN}` };
const text = (t: string) => ({ channelId: 'chan-1', contactId: '+60177872890', message: { type: 'text', text: t } });

let dir: string;
let app: BridgeApp;
let adapter: TestAdapter;
let exchanges: Exchange[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bridge-test-'));
  adapter = buildTestAdapter();
  exchanges = [];
  const feed = new ExchangeFeed();
  feed.subscribe((e) => exchanges.push(e));
  app = buildBridge({
    adapter,
    channel,
    // Nothing listens there: deliveries fail and events stay pending, which is what these tests inspect.
    respondio: { webhookUrl: 'http://127.0.0.1:9/custom/channel/webhook/' },
    stateDir: dir,
    sendTimeoutMs: 200,
    exchanges: feed,
  });
});

afterEach(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

const post = (payload: unknown, headers: Record<string, string> = auth) =>
  app.inject({ method: 'POST', url: '/message', headers, payload: payload as string });

describe('POST /message', () => {
  it('answers 401 without a token, before looking at the body', async () => {
    const res = await post('{not json', { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toMatch(/missing bearer token/);
  });

  it('answers 401 for a wrong token and records the exchange with the token masked', async () => {
    const res = await post(text('hi'), { authorization: `Bearer ${TOKEN.slice(0, -1)}X` });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: { message: 'invalid token' } });
    expect(adapter.sends).toHaveLength(0);
    const record = exchanges.find((e) => e.leg === 'respondio' && e.direction === 'in');
    expect(record?.status).toBe(401);
    expect(record?.requestHeaders.authorization).toBe('Bearer tok_…XX'.replace('XX', `${TOKEN.slice(-2, -1)}X`));
    expect(JSON.stringify(record)).not.toContain(TOKEN.slice(0, 20));
  });

  it('answers 400 naming the problem for a bad body', async () => {
    const res = await post({ channelId: 'chan-1', contactId: '+60177872890', message: { type: 'text', text: '' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('message.text: must not be empty');
    const notJson = await post('{"channelId":', { ...auth, 'content-type': 'application/json' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.message).toMatch(/not valid JSON/);
  });

  it('answers 413 in the contract error shape for a body over the limit, and keeps serving', async () => {
    const big = JSON.stringify({ ...text('x'.repeat(2 * 1024 * 1024)) });
    const res = await post(big, { ...auth, 'content-type': 'application/json' });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: { message: expect.stringMatching(/too large/i) } });
    const after = await post(text('still here'), { ...auth, 'content-type': 'application/json' });
    expect(after.statusCode).toBe(200);
  });

  it('answers 400 for a channelId of another channel', async () => {
    const res = await post({ ...text('hi'), channelId: 'other' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/not this channel/);
  });

  it('answers 400 for a type the adapter does not support', async () => {
    const res = await post({ ...text('x'), message: { type: 'location', latitude: 1, longitude: 2 } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe(
      'message type "location" is not supported by the test adapter (supported: text, attachment)',
    );
    const video = await post({
      ...text('x'),
      message: { type: 'attachment', attachment: { type: 'video', url: 'https://example.com/v.mp4' } },
    });
    expect(video.statusCode).toBe(400);
    expect(video.json().error.message).toMatch(/attachment type "video" is not supported/);
    expect(adapter.sends).toHaveLength(0);
  });

  it('takes the token in any form of the Bearer scheme respond.io or a proxy may send, and no other', async () => {
    for (const authorization of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `BEARER  ${TOKEN} `]) {
      const res = await post(text('hello'), { authorization });
      expect(res.statusCode, authorization).toBe(200);
    }
    for (const authorization of [`Bearer ${TOKEN.slice(0, -1)}X`, `Bearer  ${TOKEN}x`, `Token ${TOKEN}`]) {
      const res = await post(text('hello'), { authorization });
      expect(res.statusCode, authorization).toBe(401);
    }
  });

  it("passes the adapter's error through with its status, never a stack", async () => {
    const refused = await post(text('fail'));
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toEqual({ error: { message: 'provider refused: invalid recipient' } });
    const crashed = await post(text('crash'));
    expect(crashed.statusCode).toBe(400);
    expect(crashed.json()).toEqual({ error: { message: 'provider exploded' } });
    expect(crashed.body).not.toMatch(/at .*\.ts/);
  });

  it('answers 408 when the adapter takes longer than the send timeout (send queue off)', async () => {
    const noQueue = buildBridge({
      adapter,
      channel,
      respondio: { webhookUrl: 'http://127.0.0.1:9/custom/channel/webhook/' },
      stateDir: dir,
      sendTimeoutMs: 200,
      sendQueue: false,
    });
    try {
      const started = Date.now();
      const res = await noQueue.inject({ method: 'POST', url: '/message', headers: auth, payload: text('slow') });
      expect(res.statusCode).toBe(408);
      expect(res.json().error.message).toBe(
        'the provider did not take the message: the provider did not answer within 200 ms (1 try within 200 ms)',
      );
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await noQueue.close();
    }
  });

  it('queues a send the provider did not answer within the budget: 200 with a bridge mId', async () => {
    const res = await post(text('slow'));
    expect(res.statusCode).toBe(200);
    const { mId } = res.json();
    expect(mId).toMatch(/^cc-[0-9a-f-]{36}$/);
    expect(app.bridge.sendQueue?.stats().pending).toBe(1);
    expect(exchanges.find((e) => e.leg === 'queue')).toMatchObject({ method: 'QUEUED', mId, status: 202 });
  });

  it('refuses an mId longer than 50 characters', async () => {
    const res = await post(text('bad-mid'));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/invalid mId/);
  });

  it("answers 200 with the provider's mId and records the exchange", async () => {
    const res = await post(text('hello'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ mId: 'm-1' });
    expect(adapter.sends).toEqual([{ contactId: '+60177872890', text: 'hello' }]);
    const record = exchanges.find((e) => e.leg === 'respondio' && e.direction === 'in');
    expect(record).toMatchObject({ status: 200, contactId: '+60177872890', messageType: 'text', mId: 'm-1' });
  });
});

describe('provider webhooks', () => {
  it('keeps a JSON body byte for byte, checks its signature and queues the event', async () => {
    const raw = '{ "from":"+60177872890" ,"id":"p-1",  "text":"héllo"}';
    const res = await app.inject({
      method: 'POST',
      url: WEBHOOK,
      headers: { 'content-type': 'application/json', 'x-test-signature': sign(raw) },
      payload: raw,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: true });
    expect(adapter.seen[0].rawBody.equals(Buffer.from(raw, 'utf8'))).toBe(true);
    expect(adapter.seen[0].body).toEqual({ from: '+60177872890', id: 'p-1', text: 'héllo' });
    const pending = await app.bridge.outbox.list('pending');
    expect(pending.map((e) => e.item.event.mId)).toEqual(['p-1']);
    const record = exchanges.find((e) => e.leg === 'provider' && e.direction === 'in');
    expect(record).toMatchObject({ status: 200, contactId: '+60177872890', mId: 'p-1', messageType: 'text' });
  });

  it('keeps a form-urlencoded body byte for byte and parses it flat', async () => {
    const raw = 'From=%2B60177872890&Body=Hi+there%21&MessageSid=SM1&Extra=a%20b';
    const res = await app.inject({
      method: 'POST',
      url: `${WEBHOOK}/`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-test-signature': sign(raw) },
      payload: raw,
    });
    expect(res.statusCode).toBe(200);
    expect(adapter.seen[0].rawBody.toString('latin1')).toBe(raw);
    expect(adapter.seen[0].body).toMatchObject({ From: '+60177872890', Body: 'Hi there!', MessageSid: 'SM1' });
    const [entry] = await app.bridge.outbox.list('pending');
    expect(entry.item.event).toMatchObject({ mId: 'SM1', message: { type: 'text', text: 'Hi there!' } });
  });

  it('answers 401 and queues nothing when the signature does not match', async () => {
    const raw = '{"from":"+60177872890","id":"p-2","text":"x"}';
    const res = await app.inject({
      method: 'POST',
      url: WEBHOOK,
      headers: { 'content-type': 'application/json', 'x-test-signature': sign(`${raw} `) },
      payload: raw,
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toBe('signature check failed');
    expect(adapter.seen).toHaveLength(0);
    expect(app.bridge.outbox.stats().pending).toBe(0);
  });

  it("awaits another library's thenables from verify and handle: a refusal holds, returned events are queued", async () => {
    // Not native promises: a check such as `instanceof Promise` would take the first as a yes and the second as no events.
    // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a Promise is what this test is about
    const later = <T>(value: T) => ({ then: (resolve: (v: T) => void) => setTimeout(() => resolve(value), 5) });
    const [hook] = adapter.webhooks;
    const handle = hook.handle;
    let verdict = false;
    Object.assign(hook, {
      verify: () => later(verdict),
      handle: (request: Parameters<typeof handle>[0], ctx: Parameters<typeof handle>[1]) => later(handle(request, ctx)),
    });
    const raw = '{"from":"+60177872890","id":"p-then","text":"x"}';
    const post = () =>
      app.inject({ method: 'POST', url: WEBHOOK, headers: { 'content-type': 'application/json' }, payload: raw });
    const refused = await post();
    expect(refused.statusCode).toBe(401);
    expect(app.bridge.outbox.stats().pending).toBe(0);
    verdict = true;
    const taken = await post();
    expect(taken.statusCode).toBe(200);
    const pending = await app.bridge.outbox.list('pending');
    expect(pending.map((e) => e.item.event.mId)).toEqual(['p-then']);
  });

  it('answers the GET handshake, and 404 when the handshake declines', async () => {
    const ok = await app.inject({ method: 'GET', url: `${WEBHOOK}?hub.verify_token=let-me-in&hub.challenge=c-42` });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe('c-42');
    expect(ok.headers['content-type']).toMatch(/text\/plain/);
    const no = await app.inject({ method: 'GET', url: `${WEBHOOK}?hub.verify_token=wrong&hub.challenge=c-42` });
    expect(no.statusCode).toBe(404);
  });

  it('drops a provider retry of the same event (dedupe by type, mId and status)', async () => {
    const send = (raw: string) =>
      app.inject({
        method: 'POST',
        url: WEBHOOK,
        headers: { 'content-type': 'application/json', 'x-test-signature': sign(raw) },
        payload: raw,
      });
    const msg = '{"from":"+60177872890","id":"p-9","text":"again"}';
    const delivered = '{"to":"+60177872890","id":"m-1","status":"delivered"}';
    const read = '{"to":"+60177872890","id":"m-1","status":"read"}';
    for (const raw of [msg, msg, delivered, delivered, read]) expect((await send(raw)).statusCode).toBe(200);
    const keys = (await app.bridge.outbox.list('pending')).map((e) => e.key);
    expect(keys).toEqual(['message:p-9:', 'message_status:m-1:delivered', 'message_status:m-1:read']);
    expect(app.bridge.outbox.stats().duplicates).toBe(2);
  });

  it('keeps an event respond.io would refuse as a dead letter, with the reason', async () => {
    const raw = '{"from":"60177872890","id":"p-3","text":"no plus"}';
    const res = await app.inject({
      method: 'POST',
      url: WEBHOOK,
      headers: { 'content-type': 'application/json', 'x-test-signature': sign(raw) },
      payload: raw,
    });
    expect(res.statusCode).toBe(200);
    const [dead] = await app.bridge.outbox.list('dead');
    expect(dead.reason).toMatch(/^invalid event from the adapter: contactId: must be E.164/);
  });

  it('answers 503 with Retry-After when the outbox is full, and records nothing', async () => {
    const full = buildBridge({
      adapter,
      channel,
      respondio: { webhookUrl: 'http://127.0.0.1:9/custom/channel/webhook/' },
      stateDir: join(dir, 'full'),
      outboxOptions: { maxEvents: 1 },
    });
    try {
      const send = (id: string) => {
        const raw = JSON.stringify({ from: '+60177872890', id, text: 'x' });
        return full.inject({
          method: 'POST',
          url: WEBHOOK,
          headers: { 'content-type': 'application/json', 'x-test-signature': sign(raw) },
          payload: raw,
        });
      };
      expect((await send('f-1')).statusCode).toBe(200);
      const refused = await send('f-2');
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.json().error.message).toMatch(/outbox full/);
      expect(full.bridge.outbox.stats().pending).toBe(1);
    } finally {
      await full.close();
    }
  });

  it('answers 404 for an unknown path and reports readiness on /health', async () => {
    expect((await app.inject({ method: 'POST', url: '/nope', payload: 'x' })).statusCode).toBe(404);
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok', adapter: { name: 'test' }, outbox: { pending: 0 } });
  });
});
