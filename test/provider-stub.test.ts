import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Adapter } from '../src/bridge/adapter.js';
import type { Message } from '../src/contract/messages.js';
import { WebhookBodySchema } from '../src/contract/webhook.js';
import { loadAdapter } from '../src/project.js';
import { buildPayload, fillPlaceholders } from '../src/provider-stub/fill.js';
import { hasProviderStub, loadStubManifest } from '../src/provider-stub/manifest.js';
import { type ProviderStub, startProviderStub } from '../src/provider-stub/server.js';
import { buildAdapterContext, type Received, startReceiver } from './support/provider-stub-receiver.js';

const templates = resolve(import.meta.dirname, '..', 'templates');
const clicksend = join(templates, 'clicksend-sms');
const telegram = join(templates, 'telegram-bot');
const gupshup = join(templates, 'gupshup-whatsapp');
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

const adapters = new Map<string, Promise<Adapter>>();
/** Loading through jiti costs about half a second: once per template. */
const adapterOf = (root: string) => {
  if (!adapters.has(root)) adapters.set(root, loadAdapter(join(root, 'src', 'adapter.ts')));
  return adapters.get(root)!;
};

async function setUp(
  root: string,
  idType: 'phone' | 'custom',
  env: Record<string, string> = {},
  adapterEnv: Record<string, string> = {},
) {
  const stub = await startProviderStub({ root, env, callbackDelayMs: 5 });
  closers.push(() => stub.close());
  const adapter = await adapterOf(root);
  const ctx = () => buildAdapterContext({ ...stub.env, ...adapterEnv }, idType);
  const receiver = await startReceiver(adapter, ctx);
  closers.push(receiver.close);
  stub.setCallbackBase(receiver.url);
  return { stub, adapter, ctx, receiver };
}

const statuses = (received: Received[]) =>
  received.flatMap((r) =>
    r.events.map((e) => (e.event.type === 'message_status' ? e.event.status.value : e.event.type)),
  );

describe('fill', () => {
  const context = { values: { id: 'ID-1', now: 1767225600000, chat: '-100123' }, env: { SECRET: 's' } };
  it.each([
    ['{{now}}', 1767225600000],
    ['x-{{id}}', 'x-ID-1'],
    ['{{chat:number}}', -100123],
    ['{{env:SECRET}}', 's'],
    ['{{unknown}}', '{{unknown}}'],
  ])('%s -> %j', (template, expected) => {
    expect(fillPlaceholders(template, context)).toEqual(expected);
  });

  it('applies set and unset by dot path on a copy', () => {
    const base = { a: { list: [{ id: 'old' }] }, drop: 1 };
    const out = buildPayload({ base, set: { 'a.list.0.id': '{{id}}', 'b.c': 2 }, unset: ['drop'] }, context);
    expect(out).toEqual({ a: { list: [{ id: 'ID-1' }] }, b: { c: 2 } });
    expect(base.a.list[0].id).toBe('old');
  });
});

describe('manifests of the real-provider templates', () => {
  it.each([clicksend, telegram, gupshup])('%s: loads, and fills every placeholder of its payloads', (root) => {
    expect(hasProviderStub(root)).toBe(true);
    const stub = loadStubManifest(root);
    const values = { id: 7, contactId: '+60177872890', recipient: '42', text: 't', fromName: 'A', mId: 'M', url: 'u' };
    const context = {
      values: { ...values, now: 1, nowSeconds: 1 },
      env: { TELEGRAM_WEBHOOK_SECRET: 'x', GUPSHUP_WEBHOOK_SECRET: 'y' },
    };
    const payloads = [
      ...stub.routes.map((r) => r.responseTemplate),
      ...Object.values(stub.callbacks).map((c) => c.template),
      stub.inbound.template,
    ];
    for (const payload of payloads) expect(JSON.stringify(buildPayload(payload, context))).not.toContain('{{');
  });

  it('refuses a folder without a stand-in, naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stub-none-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    expect(hasProviderStub(dir)).toBe(false);
    expect(() => loadStubManifest(dir)).toThrow(/fixtures\/provider-stub\.json is missing/);
  });

  it('names a broken payload file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stub-broken-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    await cp(clicksend, dir, { recursive: true });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'fixtures', 'api', 'sms-send.response.json'), '{ nope');
    expect(() => loadStubManifest(dir)).toThrow(/api\/sms-send\.response\.json/);
  });
});

describe('ClickSend stand-in', () => {
  const contactId = '+60177872890';
  const text = {
    channelId: 'stub-channel',
    contactId,
    message: { type: 'text' as const, text: 'Your order has shipped.' },
  };

  it('answers the real adapter with a fresh message_id and pushes sent + delivered receipts', async () => {
    const { stub, adapter, ctx, receiver } = await setUp(clicksend, 'phone');
    const { mId } = await adapter.send(text, ctx());
    expect(mId).toMatch(/^[0-9A-F-]{36}$/);
    const [request] = stub.requests();
    expect(request).toMatchObject({ path: '/v3/sms/send', status: 200, contactId, messageId: mId });
    // Recorded requests are masked like every other log of this tool.
    const basic = Buffer.from(`${stub.env.CLICKSEND_USERNAME}:${stub.env.CLICKSEND_API_KEY}`).toString('base64');
    expect(request.headers.authorization).not.toContain(basic);
    await stub.idle();
    expect(statuses(receiver.received)).toEqual(['sent', 'delivered']);
    for (const r of receiver.received) {
      expect(r.request.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(r.events[0]).toMatchObject({ contactId, event: { mId } });
      const body = { channelId: 'c', contactId: r.events[0].contactId, events: [r.events[0].event] };
      expect(WebhookBodySchema.safeParse(body).success).toBe(true);
    }
  });

  it.each([
    ['failed', ['sent', 'failed']],
    ['duplicate', ['sent', 'delivered', 'delivered']],
    ['out-of-order', ['delivered', 'sent']],
    ['silent', []],
  ] as const)('plays the %s scenario for the contact it is set for', async (scenario, expected) => {
    const { stub, adapter, ctx, receiver } = await setUp(clicksend, 'phone');
    stub.setScenario(contactId, scenario);
    await adapter.send(text, ctx());
    await adapter.send({ ...text, contactId: '+60123456789' }, ctx());
    await stub.idle();
    const mine = receiver.received.filter((r) => r.events[0]?.contactId === contactId);
    expect(statuses(mine)).toEqual(expected);
    const others = receiver.received.filter((r) => r.events[0]?.contactId === '+60123456789');
    expect(statuses(others)).toEqual(['sent', 'delivered']);
    if (scenario === 'failed') {
      const failed = mine[1].events[0].event;
      expect(failed.type === 'message_status' && failed.status.message).toMatch(/could not be delivered/);
    }
  });

  it('refuses scenarios SMS cannot play, listing the ones it can', async () => {
    const { stub } = await setUp(clicksend, 'phone');
    expect(stub.scenarios).not.toContain('read');
    expect(() => stub.setScenario('*', 'read')).toThrow(/cannot play "read"/);
    expect(() => stub.setScenario('*', 'read')).toThrow(
      expect.objectContaining({ exitCode: 2, hint: expect.stringMatching(/delivered, failed/) }),
    );
  });

  it('answers wrong credentials with the recorded 401, which the adapter reports', async () => {
    const { stub, adapter } = await setUp(clicksend, 'phone');
    const wrong = buildAdapterContext({ ...stub.env, CLICKSEND_API_KEY: 'wrong-key-000000000000' }, 'phone');
    await expect(adapter.send(text, wrong)).rejects.toThrow(/401 UNAUTHORIZED/);
    expect(stub.requests()[0].status).toBe(401);
    expect(stub.callbacks()).toEqual([]);
  });

  it('injects an inbound SMS the adapter turns into a message event', async () => {
    const { stub, receiver } = await setUp(clicksend, 'phone');
    const { messageId } = await stub.injectInbound({ from: contactId, text: 'Is it on the way?' });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0].events).toEqual([
      {
        contactId,
        contact: { phone: contactId },
        event: {
          type: 'message',
          mId: messageId,
          timestamp: expect.any(Number),
          message: { type: 'text', text: 'Is it on the way?' },
        },
      },
    ]);
  });

  it('pushes with its webhook secret: a bridge that expects another answers 401; fails loudly without a bridge', async () => {
    const { stub, receiver } = await setUp(
      clicksend,
      'phone',
      {},
      { CLICKSEND_WEBHOOK_SECRET: 'only-the-adapter-knows' },
    );
    await expect(stub.injectInbound({ from: contactId, text: 'hi' })).rejects.toThrow(/HTTP 401/);
    expect(receiver.received[0].status).toBe(401);
    stub.setCallbackBase('http://127.0.0.1:9');
    await expect(stub.injectInbound({ from: contactId, text: 'hi' })).rejects.toThrow(/refused/);
  });

  it('answers 404 with a JSON error for calls it has no recording for', async () => {
    const { stub } = await setUp(clicksend, 'phone');
    const res = await fetch(`${stub.url}/v3/voice/send`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { message: expect.stringMatching(/no recording/) } });
  });
});

describe('Telegram stand-in', () => {
  const chat = '123456789';

  it.each([
    ['text', { type: 'text', text: 'Hello' }],
    ['image', { type: 'attachment', attachment: { type: 'image', url: 'https://example.com/a.jpg' } }],
    ['video', { type: 'attachment', attachment: { type: 'video', url: 'https://example.com/a.mp4' } }],
    ['audio', { type: 'attachment', attachment: { type: 'audio', url: 'https://example.com/a.mp3' } }],
    ['file', { type: 'attachment', attachment: { type: 'file', url: 'https://example.com/a.pdf' } }],
    ['location', { type: 'location', latitude: 3.1, longitude: 101.6 }],
    ['venue', { type: 'location', latitude: 3.1, longitude: 101.6, address: 'KLCC' }],
    ['quick reply', { type: 'quick_reply', title: 'Pick', replies: ['A', 'B'] }],
  ] satisfies Array<[string, Message]>)(
    'answers the real adapter for %s, with no status callbacks',
    async (_, message) => {
      const { stub, adapter, ctx, receiver } = await setUp(telegram, 'custom');
      const { mId } = await adapter.send({ channelId: 'c', contactId: chat, message }, ctx());
      const [request] = stub.requests();
      expect(mId).toBe(`${chat}:${request.messageId}`);
      expect(request.path).toMatch(/^\/bot.+\/send[A-Z][a-z]+$/);
      expect(request.path).not.toContain(stub.env.TELEGRAM_BOT_TOKEN);
      await stub.idle();
      expect(receiver.received).toEqual([]);
      expect(stub.scenarios).toEqual(['silent']);
    },
  );

  it('refuses a wrong bot token with the recorded 401', async () => {
    const { stub, adapter } = await setUp(telegram, 'custom');
    const wrong = buildAdapterContext({ ...stub.env, TELEGRAM_BOT_TOKEN: '1:wrong' }, 'custom');
    await expect(
      adapter.send({ channelId: 'c', contactId: chat, message: { type: 'text', text: 'x' } }, wrong),
    ).rejects.toThrow(/401 Unauthorized/);
  });

  it('delivers an inbound Update with the secret header the adapter checks', async () => {
    const { stub, receiver } = await setUp(telegram, 'custom', { TELEGRAM_WEBHOOK_SECRET: 'stub-secret_123' });
    const { messageId } = await stub.injectInbound({ from: chat, text: 'Hi bot', fromName: 'Aisha' });
    const [got] = receiver.received;
    expect(got.status).toBe(200);
    expect(got.request.headers['x-telegram-bot-api-secret-token']).toBe('stub-secret_123');
    expect(got.events).toEqual([
      {
        contactId: chat,
        contact: { firstName: 'Aisha', language: 'en' },
        event: {
          type: 'message',
          mId: messageId,
          timestamp: expect.any(Number),
          message: { type: 'text', text: 'Hi bot' },
        },
      },
    ]);
  });

  it('answers getFile, so inbound photos resolve offline', async () => {
    const { stub, ctx } = await setUp(telegram, 'custom');
    const res = await fetch(`${stub.url}/bot${ctx().env.TELEGRAM_BOT_TOKEN}/getFile`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ file_id: 'x' }),
    });
    expect(await res.json()).toMatchObject({ ok: true, result: { file_path: 'photos/file_7.jpg' } });
    expect(stub.callbacks()).toEqual([]);
  });
});

describe('close', () => {
  it('is idempotent and stops pending callbacks', async () => {
    const stub: ProviderStub = await startProviderStub({ root: clicksend, callbackDelayMs: 200 });
    const adapter = await adapterOf(clicksend);
    const receiver = await startReceiver(adapter, () => buildAdapterContext(stub.env, 'phone'));
    closers.push(receiver.close);
    stub.setCallbackBase(receiver.url);
    await adapter.send(
      { channelId: 'c', contactId: '+60177872890', message: { type: 'text', text: 'x' } },
      buildAdapterContext(stub.env, 'phone'),
    );
    await Promise.all([stub.close(), stub.close()]);
    await stub.idle();
    expect(receiver.received).toEqual([]);
  });
});

describe('Gupshup stand-in', () => {
  const contactId = '+60177872890';
  const text = {
    channelId: 'stub-channel',
    contactId,
    message: { type: 'text' as const, text: 'Your order has shipped.' },
  };

  it('checks the apikey header, reads the form with its JSON message, and calls back with the secret', async () => {
    const { stub, adapter, ctx, receiver } = await setUp(gupshup, 'phone');
    const { mId } = await adapter.send(text, ctx());
    const [request] = stub.requests();
    expect(request).toMatchObject({ path: '/wa/api/v1/msg', status: 202, contactId, messageId: mId });
    expect(request.headers.apikey).not.toBe(stub.env.GUPSHUP_API_KEY);
    await stub.idle();
    expect(statuses(receiver.received)).toEqual(['sent', 'delivered', 'read']);
    // enqueued reaches the adapter (it learns the WhatsApp id) but reports nothing.
    expect(receiver.received).toHaveLength(4);
    for (const r of receiver.received) {
      expect(r.status).toBe(200);
      expect(r.request.query.secret).toBe(stub.env.GUPSHUP_WEBHOOK_SECRET);
      expect((r.request.body as { payload: { destination: string } }).payload.destination).toBe('60177872890');
    }
  });

  it('refuses a wrong or missing apikey with the recorded 401, and plays failed with the reason', async () => {
    const { stub, adapter, ctx, receiver } = await setUp(gupshup, 'phone');
    const wrong = { ...ctx(), env: { ...stub.env, GUPSHUP_API_KEY: 'guess' } };
    await expect(adapter.send(text, wrong)).rejects.toThrow(/401 Authentication Failed/);
    const answer = await fetch(`${stub.url}/wa/api/v1/msg`, { method: 'POST', body: 'destination=1' });
    expect(answer.status).toBe(401);
    stub.setScenario(contactId, 'failed');
    await adapter.send(text, ctx());
    await stub.idle();
    expect(statuses(receiver.received)).toEqual(['failed']);
    const failed = receiver.received[1].events[0].event;
    expect(failed.type === 'message_status' && failed.status.message).toMatch(/\(Gupshup code 1002\)$/);
  });

  it('injects an inbound type:message callback the adapter turns into a message', async () => {
    const { stub, receiver } = await setUp(gupshup, 'phone');
    const { messageId } = await stub.injectInbound({ from: contactId, text: 'Hi there', fromName: 'Aisha' });
    expect(receiver.received[0].events[0]).toMatchObject({
      contactId,
      contact: { firstName: 'Aisha' },
      event: { type: 'message', mId: messageId, message: { type: 'text', text: 'Hi there' } },
    });
  });
});
