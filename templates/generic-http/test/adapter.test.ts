import { type BridgeEvent, type Message, WebhookBodySchema } from 'custom-channel';
import { describe, expect, it } from 'vitest';
import adapter, { WEBHOOK_PATH } from '../src/adapter.ts';
import { buildContext, fixture, NOW, SECRET, signedRequest } from './helpers.ts';

const env = {
  PROVIDER_API_URL: 'http://provider.test/',
  PROVIDER_API_KEY: 'pk_test_0123456789abcdef',
  PROVIDER_WEBHOOK_SECRET: SECRET,
};
const contactId = '+60177872890';
const accepted = { status: 200, body: fixture('api/send.response.json') };
const hook = adapter.webhooks[0];

/** Every event must be a body respond.io accepts. */
function expectValid(events: BridgeEvent[]) {
  for (const e of events) {
    const body = { channelId: 'gfd8g7fd89dgfd', contactId: e.contactId, events: [e.event], contact: e.contact };
    const parsed = WebhookBodySchema.safeParse(body);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  }
}

const outbound: Array<[string, Message]> = [
  ['text', { type: 'text', text: 'Your order #1042 has shipped.' }],
  [
    'image',
    {
      type: 'attachment',
      attachment: {
        type: 'image',
        url: 'https://example.com/media/parcel.jpg',
        fileName: 'parcel.jpg',
        mimeType: 'image/jpeg',
      },
    },
  ],
  [
    'file',
    {
      type: 'attachment',
      attachment: {
        type: 'file',
        url: 'https://example.com/media/invoice.pdf',
        fileName: 'invoice.pdf',
        mimeType: 'application/pdf',
      },
    },
  ],
  ['location', { type: 'location', latitude: 3.139, longitude: 101.6869, address: 'Kuala Lumpur' }],
  ['quick-reply', { type: 'quick_reply', title: 'Was the delivery on time?', replies: ['Yes', 'No'] }],
  ['custom-payload', { type: 'custom_payload', payload: { template: 'receipt', orderId: 1042 } }],
];

describe('send', () => {
  it.each(outbound)('sends a %s message as the provider body in fixtures/api', async (name, message) => {
    const { ctx, calls } = buildContext(env, accepted);
    const result = await adapter.send({ channelId: 'gfd8g7fd89dgfd', contactId, message }, ctx);
    expect(result).toEqual({ mId: 'msg_8f2a41c09b7d3e5f6a' });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ url: 'http://provider.test/v1/messages', method: 'POST' });
    expect(calls[0].headers.authorization).toBe(`Bearer ${env.PROVIDER_API_KEY}`);
    expect(calls[0].body).toEqual(fixture(`api/send-${name}.request.json`));
  });

  it('adds callbackUrl when PROVIDER_CALLBACK_URL is set', async () => {
    const { ctx, calls } = buildContext(
      { ...env, PROVIDER_CALLBACK_URL: 'https://acme.example/webhooks/provider' },
      accepted,
    );
    await adapter.send({ channelId: 'c', contactId, message: { type: 'text', text: 'Hi' } }, ctx);
    expect(calls[0].body).toMatchObject({ callbackUrl: 'https://acme.example/webhooks/provider' });
  });

  it('turns a 4xx into an AdapterError carrying the provider reason', async () => {
    for (const [status, file] of [
      [401, 'api/error-unauthorized.json'],
      [400, 'api/error-invalid-request.json'],
    ] as const) {
      const { ctx } = buildContext(env, { status, body: fixture(file) });
      const sending = adapter.send({ channelId: 'c', contactId, message: { type: 'text', text: 'x' } }, ctx);
      await expect(sending).rejects.toMatchObject({ name: 'AdapterError', status: 400 });
      await expect(sending).rejects.toThrow(fixture<{ error: { message: string } }>(file).error.message);
    }
  });

  it('turns a 429 or 5xx into a RetryableError (the bridge retries, then queues), and lets a network failure through', async () => {
    const limited = buildContext(env, { status: 429, body: fixture('api/error-rate-limited.json') });
    const send = (ctx: typeof limited.ctx) =>
      adapter.send({ channelId: 'c', contactId, message: { type: 'text', text: 'x' } }, ctx);
    await expect(send(limited.ctx)).rejects.toThrow(/429: rate_limited/);
    await expect(send(limited.ctx)).rejects.toMatchObject({ name: 'RetryableError', status: 429 });
    await expect(send(buildContext(env, { status: 503, body: {} }).ctx)).rejects.toMatchObject({
      name: 'RetryableError',
      status: 503,
    });
    await expect(send(buildContext(env, new TypeError('fetch failed')).ctx)).rejects.toThrow('fetch failed');
  });

  it('passes the idempotency key the bridge gives each message on to the provider', async () => {
    const { ctx, calls } = buildContext(env, accepted);
    const message = { type: 'text' as const, text: 'x' };
    await adapter.send({ channelId: 'c', contactId, message, idempotencyKey: 'cc-123' }, ctx);
    expect(calls[0].headers['idempotency-key']).toBe('cc-123');
  });

  it('says which setting is missing', async () => {
    const { ctx } = buildContext({ PROVIDER_API_URL: 'http://provider.test' }, accepted);
    await expect(
      adapter.send({ channelId: 'c', contactId, message: { type: 'text', text: 'x' } }, ctx),
    ).rejects.toThrow(/PROVIDER_API_KEY is not set/);
  });
});

describe('webhook /webhooks/provider', () => {
  it('is the one route and accepts only correctly signed callbacks', async () => {
    expect(adapter.webhooks.map((h) => h.path)).toEqual([WEBHOOK_PATH]);
    const { ctx, logs } = buildContext(env);
    const body = fixture('callbacks/status-read.json');
    expect(await hook.verify?.(signedRequest(WEBHOOK_PATH, body), ctx)).toBe(true);
    expect(await hook.verify?.(signedRequest(WEBHOOK_PATH, body, 'another secret'), ctx)).toBe(false);
    const tampered = {
      ...signedRequest(WEBHOOK_PATH, body),
      rawBody: Buffer.from(JSON.stringify({ ...body, status: 'failed' })),
    };
    expect(await hook.verify?.(tampered, ctx)).toBe(false);
    const unsigned = { ...signedRequest(WEBHOOK_PATH, body), headers: {} };
    expect(await hook.verify?.(unsigned, ctx)).toBe(false);
    const noSecret = buildContext({ ...env, PROVIDER_WEBHOOK_SECRET: '' });
    // Fail closed: no secret, no callback (the bridge also refuses the route and warns at start).
    expect(await hook.verify?.(signedRequest(WEBHOOK_PATH, body, ''), noSecret.ctx)).toBe(false);
    expect(hook.secretEnv).toBe('PROVIDER_WEBHOOK_SECRET');
    expect(logs).toEqual([]);
  });

  it.each([
    ['sent', { value: 'sent' }],
    ['delivered', { value: 'delivered' }],
    ['read', { value: 'read' }],
    ['failed', { value: 'failed', message: 'recipient unreachable' }],
  ])('maps a %s status callback to message_status', async (status, expected) => {
    const { ctx } = buildContext(env);
    const body = fixture(`callbacks/status-${status}.json`);
    const { events } = await hook.handle(signedRequest(WEBHOOK_PATH, body), ctx);
    expect(events).toEqual([
      {
        contactId,
        event: { type: 'message_status', mId: 'msg_8f2a41c09b7d3e5f6a', timestamp: body.timestamp, status: expected },
      },
    ]);
    expectValid(events);
  });

  it('maps inbound messages with the contact name and phone', async () => {
    const { ctx } = buildContext(env);
    const text = await hook.handle(signedRequest(WEBHOOK_PATH, fixture('callbacks/message-text.json')), ctx);
    expect(text.events).toEqual([
      {
        contactId,
        contact: { firstName: 'Aisha', lastName: 'Rahman', phone: contactId },
        event: {
          type: 'message',
          mId: 'in_3c9d0e7a51b24f68d2',
          timestamp: 1767225700000,
          message: { type: 'text', text: 'Hi, where is my parcel?' },
        },
      },
    ]);
    const image = await hook.handle(signedRequest(WEBHOOK_PATH, fixture('callbacks/message-image.json')), ctx);
    expect(image.events[0].event).toMatchObject({
      type: 'message',
      message: {
        type: 'attachment',
        attachment: {
          type: 'image',
          url: 'https://example.com/media/damaged-box.jpg',
          mimeType: 'image/jpeg',
          description: 'The box arrived damaged',
        },
      },
    });
    const location = await hook.handle(signedRequest(WEBHOOK_PATH, fixture('callbacks/message-location.json')), ctx);
    expect(location.events[0].event).toMatchObject({
      message: {
        type: 'location',
        latitude: 3.1579,
        longitude: 101.7116,
        address: 'Petronas Twin Towers, Kuala Lumpur',
      },
    });
    expectValid([...text.events, ...image.events, ...location.events]);
  });

  it('gives no phone for a Custom ID channel', async () => {
    const { ctx } = buildContext(env, undefined, 'custom');
    const body = { ...fixture('callbacks/message-text.json'), from: 'user_42', fromName: undefined };
    const { events } = await hook.handle(signedRequest(WEBHOOK_PATH, body), ctx);
    expect(events[0]).toEqual({ contactId: 'user_42', event: expect.objectContaining({ type: 'message' }) });
  });

  it('maps an echo to message_echo', async () => {
    const { ctx } = buildContext(env);
    const { events } = await hook.handle(signedRequest(WEBHOOK_PATH, fixture('callbacks/echo-text.json')), ctx);
    expect(events).toEqual([
      {
        contactId,
        event: {
          type: 'message_echo',
          mId: 'echo_5d6e7f8091a2b3c4d5',
          timestamp: 1767225800000,
          message: { type: 'text', text: "Sent from the provider's own app" },
        },
      },
    ]);
    expectValid(events);
  });

  it('answers 400 to a body that is not a callback, and ignores content it cannot map', async () => {
    const { ctx, logs } = buildContext(env);
    const notCallback = await hook.handle(signedRequest(WEBHOOK_PATH, { hello: 'world' }), ctx);
    expect(notCallback).toMatchObject({ events: [], reply: { status: 400 } });
    const empty = { kind: 'message', messageId: 'in_1', from: contactId, timestamp: NOW, type: 'text' };
    expect((await hook.handle(signedRequest(WEBHOOK_PATH, empty), ctx)).events).toEqual([]);
    expect(logs.map((l) => l.level)).toEqual(['warn', 'warn']);
  });
});

describe('capabilities', () => {
  it('declares every respond.io message type and all four statuses', () => {
    expect(adapter.capabilities.messageTypes).toEqual([
      'text',
      'attachment',
      'location',
      'quick_reply',
      'custom_payload',
    ]);
    expect(adapter.capabilities.statuses).toEqual(['sent', 'delivered', 'read', 'failed']);
  });
});
