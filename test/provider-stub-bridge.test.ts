/**
 * The provider stand-ins against the real bridge running each template's adapter: respond.io
 * (a recording webhook here) -> bridge `/message` -> stand-in -> receipts/inbound pushes ->
 * bridge webhook routes -> outbox -> respond.io.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBridge } from '../src/bridge/index.js';
import { loadAdapter } from '../src/project.js';
import { startProviderStub } from '../src/provider-stub/server.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/respondio-receiver.js';

const templates = resolve(import.meta.dirname, '..', 'templates');
const TOKEN = 'stubBridgeToken0123456789abcdefghijklmnopqrstu';
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

const adapters = new Map<string, ReturnType<typeof loadAdapter>>();
/** Loading through jiti costs about half a second: once per template. */
const adapterOf = (root: string) => {
  if (!adapters.has(root)) adapters.set(root, loadAdapter(join(root, 'src', 'adapter.ts')));
  return adapters.get(root)!;
};

interface Posted {
  contactId: string;
  events: Array<{ type: string; mId: string; status?: { value: string; message?: string }; message?: unknown }>;
}

async function setUp(
  template: string,
  idType: 'phone' | 'custom',
  env: Record<string, string> = {},
  projectEnv: Record<string, string> = {},
) {
  const root = join(templates, template);
  const stateDir = await mkdtemp(join(tmpdir(), `stub-bridge-${template}-`));
  closers.push(() => rm(stateDir, { recursive: true, force: true }));
  const respondio = await startWebhookReceiver();
  closers.push(() => respondio.close());
  const stub = await startProviderStub({ root, env, callbackDelayMs: 10 });
  closers.push(() => stub.close());
  // The bridge reads the adapter's env per request: settings known only later can be added here.
  // As `send` does: the project's .env first, the stand-in's settings over it.
  const adapterEnv: Record<string, string | undefined> = { ...projectEnv, ...stub.env };
  const bridge = await startBridge({
    adapter: await adapterOf(root),
    channel: { channelId: 'stubchannel01', token: TOKEN, idType },
    respondio: { webhookUrl: respondio.url },
    env: adapterEnv,
    stateDir,
  });
  closers.push(() => bridge.close());
  stub.setCallbackBase(bridge.url);
  const message = (contactId: string, body: unknown) =>
    fetch(`${bridge.url}/message`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channelId: 'stubchannel01', contactId, message: body }),
    });
  return { stub, bridge, respondio, message, adapterEnv };
}

/** Waits until respond.io got `count` bodies (or fails with what it got). */
async function received(respondio: WebhookReceiver, count: number, ms = 5000): Promise<Posted[]> {
  const until = Date.now() + ms;
  while (respondio.bodies.length < count && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return respondio.bodies.map((b) => b.body as Posted);
}

describe('ClickSend stand-in behind the bridge', () => {
  const contactId = '+60177872890';

  it('carries a text to ClickSend and its receipts back to respond.io as sent, delivered', async () => {
    const { stub, respondio, message } = await setUp('clicksend-sms', 'phone');
    const res = await message(contactId, { type: 'text', text: 'Your order has shipped.' });
    expect(res.status).toBe(200);
    const { mId } = (await res.json()) as { mId: string };
    expect(stub.requests()[0]).toMatchObject({ path: '/v3/sms/send', contactId, messageId: mId });
    const bodies = await received(respondio, 2);
    expect(bodies.map((b) => [b.contactId, b.events[0].mId, b.events[0].status?.value])).toEqual([
      [contactId, mId, 'sent'],
      [contactId, mId, 'delivered'],
    ]);
    expect(respondio.bodies[0].authorization).toBe(`Bearer ${TOKEN}`);
    expect(stub.callbacks().map((c) => c.status)).toEqual([200, 200]);
  });

  it("works offline even when the project's .env holds real push and API secrets", async () => {
    const { respondio, message } = await setUp(
      'clicksend-sms',
      'phone',
      {},
      { CLICKSEND_WEBHOOK_SECRET: 'real-secret-of-the-project', CLICKSEND_API_KEY: 'real-key' },
    );
    expect((await message(contactId, { type: 'text', text: 'x' })).status).toBe(200);
    expect((await received(respondio, 2)).map((b) => b.events[0].status?.value)).toEqual(['sent', 'delivered']);
  });

  it('reports a failed SMS with its reason', async () => {
    const { stub, respondio, message } = await setUp('clicksend-sms', 'phone');
    stub.setScenario('*', 'failed');
    await message(contactId, { type: 'text', text: 'x' });
    const bodies = await received(respondio, 2);
    expect(bodies[1].events[0].status).toEqual({
      value: 'failed',
      message: 'Failed: Message could not be delivered.: Delivery failed: the number is unreachable. (error 301)',
    });
  });

  it('answers 400 for an attachment, which SMS cannot carry, and never calls ClickSend', async () => {
    const { stub, message } = await setUp('clicksend-sms', 'phone');
    const res = await message(contactId, {
      type: 'attachment',
      attachment: { type: 'image', url: 'https://example.com/a.jpg' },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { message: expect.any(String) } });
    expect(stub.requests()).toEqual([]);
  });

  it('turns an inbound SMS into a respond.io message from the phone number', async () => {
    const { stub, respondio } = await setUp('clicksend-sms', 'phone');
    const { messageId } = await stub.injectInbound({ from: contactId, text: 'Where is my parcel?' });
    const [body] = await received(respondio, 1);
    expect(body).toMatchObject({
      contactId,
      events: [{ type: 'message', mId: messageId, message: { type: 'text', text: 'Where is my parcel?' } }],
      contact: { phone: contactId },
    });
  });
});

describe('Telegram stand-in behind the bridge', () => {
  const chat = '123456789';

  it('sends a photo through sendPhoto and reports no receipts (the Bot API has none)', async () => {
    const { stub, respondio, message } = await setUp('telegram-bot', 'custom');
    const res = await message(chat, {
      type: 'attachment',
      attachment: { type: 'image', url: 'https://example.com/a.jpg', description: 'Receipt' },
    });
    expect(res.status).toBe(200);
    const { mId } = (await res.json()) as { mId: string };
    const [request] = stub.requests();
    expect(request.path).toMatch(/\/sendPhoto$/);
    expect(request.body).toMatchObject({ chat_id: chat, photo: 'https://example.com/a.jpg', caption: 'Receipt' });
    expect(mId).toBe(`${chat}:${request.messageId}`);
    await stub.idle();
    expect(respondio.bodies).toEqual([]);
  });

  it("delivers an inbound Update, checked against the stand-in's webhook secret, to respond.io", async () => {
    const { stub, respondio } = await setUp('telegram-bot', 'custom', {}, { TELEGRAM_WEBHOOK_SECRET: 'real_secret' });
    expect(stub.env.TELEGRAM_WEBHOOK_SECRET).toBe('stand-in-secret_0123456789');
    const { messageId } = await stub.injectInbound({ from: chat, text: 'Hello bot', fromName: 'Aisha' });
    const [body] = await received(respondio, 1);
    expect(body).toMatchObject({
      contactId: chat,
      events: [{ type: 'message', mId: messageId, message: { type: 'text', text: 'Hello bot' } }],
    });
  });

  it('refuses an Update without the secret with 401 and forwards nothing', async () => {
    const { bridge, respondio } = await setUp('telegram-bot', 'custom', {
      TELEGRAM_WEBHOOK_SECRET: 'bridge-secret_42',
    });
    const res = await fetch(`${bridge.url}/webhooks/telegram`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'guess' },
      body: JSON.stringify({ update_id: 1, message: { message_id: 1, date: 1, chat: { id: 1 }, text: 'x' } }),
    });
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(respondio.bodies).toEqual([]);
  });

  it("serves an inbound photo through the bridge's signed file route, proxied from the stand-in", async () => {
    const { stub, bridge, respondio, adapterEnv } = await setUp('telegram-bot', 'custom');
    adapterEnv.TELEGRAM_PUBLIC_URL = bridge.url;
    const update = {
      update_id: 77,
      message: {
        message_id: 9,
        date: 1767225600,
        chat: { id: 123456789, type: 'private', first_name: 'Aisha' },
        photo: [{ file_id: 'PHOTO-1', file_unique_id: 'u1', width: 90, height: 90 }],
      },
    };
    const res = await fetch(`${bridge.url}/webhooks/telegram`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-telegram-bot-api-secret-token': stub.env.TELEGRAM_WEBHOOK_SECRET,
      },
      body: JSON.stringify(update),
    });
    expect(res.status).toBe(200);
    const [body] = await received(respondio, 1);
    const url = (body.events[0].message as { attachment: { url: string } }).attachment.url;
    expect(url.startsWith(`${bridge.url}/webhooks/telegram/file?`)).toBe(true);
    expect(url).not.toContain(stub.env.TELEGRAM_BOT_TOKEN);
    // The stand-in has no file bytes recorded: the proxy reports the provider's 404 as a 502.
    const download = await fetch(url);
    expect(download.status).toBe(502);
    expect(stub.requests().map((r) => r.path.split('/').at(-1))).toEqual(['getFile']);
  });
});
