import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BridgeEvent, type Message, WebhookBodySchema } from 'custom-channel';
import { describe, expect, it } from 'vitest';
import adapter, { FILE_PATH, WEBHOOK_PATH } from '../src/adapter.ts';
import { chatIdOf, contactIdOf } from '../src/telegram.ts';
import { buildContext, buildRequest, fixture, fixturesDir } from './helpers.ts';

const TOKEN = '7000000001:AAH-test-token-0123456789abcdefghij';
const env = { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_URL: 'http://telegram.test' };
const ok = (file: string) => ({ status: 200, body: fixture(file) });
const hook = (path: string) => {
  const found = adapter.webhooks.find((h) => h.path === path);
  if (!found) throw new Error(`no webhook ${path}`);
  return found;
};

function expectValid(events: BridgeEvent[]) {
  for (const e of events) {
    const body = { channelId: 'gfd8g7fd89dgfd', contactId: e.contactId, events: [e.event], contact: e.contact };
    const parsed = WebhookBodySchema.safeParse(body);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  }
}

describe('send', () => {
  it.each<[string, Message, string, string, string]>([
    ['text', { type: 'text', text: 'Your order has shipped.' }, 'sendMessage', 'send-message', '123456789:5001'],
    [
      'image',
      {
        type: 'attachment',
        attachment: {
          type: 'image',
          url: 'https://cdn.example.com/receipts/order-1042.jpg',
          description: 'Your receipt',
        },
      },
      'sendPhoto',
      'send-photo',
      '123456789:5002',
    ],
    [
      'file',
      {
        type: 'attachment',
        attachment: { type: 'file', url: 'https://cdn.example.com/invoices/INV-1042.pdf', fileName: 'INV-1042.pdf' },
      },
      'sendDocument',
      'send-document',
      '123456789:5003',
    ],
    [
      'video',
      { type: 'attachment', attachment: { type: 'video', url: 'https://cdn.example.com/howto/unboxing.mp4' } },
      'sendVideo',
      'send-video',
      '123456789:5006',
    ],
    [
      'audio',
      { type: 'attachment', attachment: { type: 'audio', url: 'https://cdn.example.com/audio/welcome.mp3' } },
      'sendAudio',
      'send-audio',
      '123456789:5007',
    ],
    [
      'location',
      { type: 'location', latitude: 3.1579, longitude: 101.7123 },
      'sendLocation',
      'send-location',
      '123456789:5004',
    ],
    [
      'location with address',
      { type: 'location', latitude: 3.1579, longitude: 101.7123, address: 'Suria KLCC, Kuala Lumpur' },
      'sendVenue',
      'send-venue',
      '123456789:5005',
    ],
  ])('sends %s with %s', async (_, message, method, file, mId) => {
    const { ctx, calls } = buildContext(env, { [method]: ok(`api/${file}.response.json`) });
    const result = await adapter.send({ channelId: 'c', contactId: '123456789', message }, ctx);
    expect(result).toEqual({ mId });
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe(`http://telegram.test/bot${TOKEN}/${method}`);
    expect(calls[0].body).toEqual(fixture(`api/${file}.request.json`));
  });

  it('sends quick replies as a one-time reply keyboard', async () => {
    const { ctx, calls } = buildContext(env, { sendMessage: ok('api/send-message.response.json') });
    await adapter.send(
      {
        channelId: 'c',
        contactId: '123456789',
        message: { type: 'quick_reply', title: 'How did we do?', replies: ['Great', 'Okay', 'Poor'] },
      },
      ctx,
    );
    expect(calls[0].body).toEqual(fixture('api/send-quick-reply.request.json'));
  });

  it('uses the public Bot API by default', async () => {
    const { ctx, calls } = buildContext(
      { TELEGRAM_BOT_TOKEN: TOKEN },
      { sendMessage: ok('api/send-message.response.json') },
    );
    await adapter.send({ channelId: 'c', contactId: '123456789', message: { type: 'text', text: 'x' } }, ctx);
    expect(calls[0].url).toBe(`https://api.telegram.org/bot${TOKEN}/sendMessage`);
  });

  it('declares only `sent`: the Bot API has no delivery receipts', () => {
    expect(adapter.capabilities.statuses).toEqual(['sent']);
    expect(adapter.capabilities.messageTypes).not.toContain('custom_payload');
  });

  it.each([
    ['api/error-chat-not-found.json', 400, 'AdapterError', /chat not found/],
    ['api/error-bot-blocked.json', 403, 'AdapterError', /bot was blocked/],
    ['api/error-unauthorized.json', 401, 'AdapterError', /401 Unauthorized/],
    ['api/error-too-many-requests.json', 429, 'RetryableError', /retry after 5/],
  ])('turns %s into an error the bridge understands', async (file, status, name, text) => {
    const { ctx } = buildContext(env, { sendMessage: { status, body: fixture(file) } });
    const error = await adapter
      .send({ channelId: 'c', contactId: '123456789', message: { type: 'text', text: 'x' } }, ctx)
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe(name);
    expect((error as Error).message).toMatch(text);
    // Telegram's parameters.retry_after (seconds) is what the bridge waits before the next try.
    if (status === 429) expect(error).toMatchObject({ retryAfterMs: 5000 });
  });

  it('refuses a contact id that is not a chat id, and maps group ids both ways', async () => {
    const { ctx } = buildContext(env);
    await expect(
      adapter.send({ channelId: 'c', contactId: 'alice@example', message: { type: 'text', text: 'x' } }, ctx),
    ).rejects.toMatchObject({ name: 'AdapterError' });
    expect(contactIdOf(-1001234567890)).toBe('g1001234567890');
    expect(chatIdOf('g1001234567890')).toBe('-1001234567890');
    expect(chatIdOf('123456789')).toBe('123456789');
  });
});

describe('webhook updates', () => {
  const handle = async (file: string, extraEnv: Record<string, string> = {}) => {
    const context = buildContext(
      { ...env, ...extraEnv },
      {
        getFile: ok('api/get-file.response.json'),
      },
    );
    const result = await hook(WEBHOOK_PATH).handle(buildRequest(WEBHOOK_PATH, fixture(file)), context.ctx);
    expectValid(result.events);
    return { ...context, result };
  };
  const aisha = { firstName: 'Aisha', lastName: 'Rahman', language: 'en' };

  it('turns a text message into a respond.io message from the chat', async () => {
    const { result } = await handle('updates/text.json');
    expect(result.events).toEqual([
      {
        contactId: '123456789',
        contact: aisha,
        event: {
          type: 'message',
          mId: '123456789:6001',
          timestamp: 1767225660000,
          message: { type: 'text', text: 'Thanks! When will it arrive?' },
        },
      },
    ]);
  });

  it('links a photo through this server (largest size, caption) when TELEGRAM_PUBLIC_URL is set', async () => {
    const { result, calls } = await handle('updates/photo.json', {
      TELEGRAM_PUBLIC_URL: 'https://bridge.example.com/',
    });
    const message = result.events[0].event.type === 'message' ? result.events[0].event.message : undefined;
    expect(message).toMatchObject({
      type: 'attachment',
      attachment: { type: 'image', description: 'The box arrived damaged' },
    });
    const url = new URL((message as { attachment: { url: string } }).attachment.url);
    expect(`${url.origin}${url.pathname}`).toBe(`https://bridge.example.com${FILE_PATH}`);
    expect(url.searchParams.get('id')).toBe('AgACAgQAAxkBAAIBi2d0-large');
    expect(url.href).not.toContain(TOKEN);
    expect(calls).toHaveLength(0);
  });

  it("falls back to Telegram's file URL (with a warning) without TELEGRAM_PUBLIC_URL", async () => {
    const { result, calls, logs } = await handle('updates/document.json');
    expect(calls[0].body).toEqual({ file_id: 'BQACAgQAAxkBAAIBjGd0-doc' });
    expect(result.events[0].event).toMatchObject({
      message: {
        type: 'attachment',
        attachment: {
          type: 'file',
          url: `http://telegram.test/file/bot${TOKEN}/photos/file_7.jpg`,
          fileName: 'warranty.pdf',
          mimeType: 'application/pdf',
        },
      },
    });
    expect(logs.some((l) => l.level === 'warn' && /TELEGRAM_PUBLIC_URL/.test(l.msg))).toBe(true);
  });

  it('turns a location and a venue into respond.io locations', async () => {
    const location = await handle('updates/location.json');
    expect(location.result.events[0].event).toMatchObject({
      message: { type: 'location', latitude: 3.139003, longitude: 101.686855 },
    });
    const venue = await handle('updates/venue.json');
    expect(venue.result.events[0].event).toMatchObject({
      message: { type: 'location', address: 'Suria KLCC, Jalan Ampang, Kuala Lumpur' },
    });
  });

  it('gives group chats a Custom ID respond.io accepts', async () => {
    const { result } = await handle('updates/group-text.json');
    expect(result.events[0].contactId).toBe('g1001234567890');
    expect(result.events[0].contact).toEqual({ firstName: 'Acme Customers' });
    expect(result.events[0].event.mId).toBe('-1001234567890:77');
  });

  it('acknowledges edited messages and stickers without events', async () => {
    expect((await handle('updates/edited-message.json')).result.events).toEqual([]);
    expect((await handle('updates/sticker.json')).result.events).toEqual([]);
  });

  it('checks X-Telegram-Bot-Api-Secret-Token, and refuses every update while TELEGRAM_WEBHOOK_SECRET is unset', async () => {
    const verify = hook(WEBHOOK_PATH).verify!;
    const request = buildRequest(WEBHOOK_PATH, fixture('updates/text.json'));
    const open = buildContext({ ...env, TELEGRAM_WEBHOOK_SECRET: '' }).ctx;
    expect(await verify(request, open)).toBe(false);
    expect(await verify({ ...request, headers: { 'x-telegram-bot-api-secret-token': '' } }, open)).toBe(false);
    expect(hook(WEBHOOK_PATH).secretEnv).toBe('TELEGRAM_WEBHOOK_SECRET');
    const strict = buildContext({ ...env, TELEGRAM_WEBHOOK_SECRET: 's3cret-token_0123456789' }).ctx;
    expect(await verify(request, strict)).toBe(false);
    const signed = { ...request, headers: { 'x-telegram-bot-api-secret-token': 's3cret-token_0123456789' } };
    expect(await verify(signed, strict)).toBe(true);
  });
});

describe('file route', () => {
  it('serves a signed link by proxying the download, and refuses unsigned ones', async () => {
    const publicEnv = { ...env, TELEGRAM_PUBLIC_URL: 'https://bridge.example.com' };
    const first = buildContext(publicEnv, { getFile: ok('api/get-file.response.json') });
    const inbound = await hook(WEBHOOK_PATH).handle(
      buildRequest(WEBHOOK_PATH, fixture('updates/photo.json')),
      first.ctx,
    );
    const link = new URL(
      (inbound.events[0].event as { message: { attachment: { url: string } } }).message.attachment.url,
    );
    const query = Object.fromEntries(link.searchParams);

    const { ctx, calls } = buildContext(publicEnv, {
      getFile: ok('api/get-file.response.json'),
      file: { status: 200, body: 'JPEGDATA', contentType: 'image/jpeg' },
    });
    const files = hook(FILE_PATH);
    const reply = await files.handshake!(buildRequest(FILE_PATH, undefined, { method: 'GET', query }), ctx);
    expect(reply).toMatchObject({ status: 200, headers: { 'content-type': 'image/jpeg' } });
    expect(Buffer.from(reply!.body as Buffer).toString()).toBe('JPEGDATA');
    expect(calls.map((c) => c.url)).toEqual([
      `http://telegram.test/bot${TOKEN}/getFile`,
      `http://telegram.test/file/bot${TOKEN}/photos/file_7.jpg`,
    ]);
    const forged = await files.handshake!(
      buildRequest(FILE_PATH, undefined, { method: 'GET', query: { ...query, sig: 'forged' } }),
      ctx,
    );
    expect(forged?.status).toBe(404);
  });
});

describe('fixtures', () => {
  it('simulate fixtures target the webhook route', () => {
    const files = readdirSync(join(fixturesDir, 'simulate'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(fixture<{ path: string }>(`simulate/${file}`).path).toBe(WEBHOOK_PATH);
  });
});
