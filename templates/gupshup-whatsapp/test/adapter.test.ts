import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BridgeEvent, type Message, WebhookBodySchema } from 'custom-channel';
import { describe, expect, it } from 'vitest';
import adapter, { WEBHOOK_PATH } from '../src/adapter.ts';
import { buildGupshupMessage, toMId } from '../src/gupshup.ts';
import { buildContext, buildRequest, fixture, fixturesDir, NOW } from './helpers.ts';

const env = {
  GUPSHUP_API_KEY: 'xk2m9vgbbl6gjeezymu5v5iepxq2zt0',
  GUPSHUP_APP_NAME: 'AcmeSupport',
  GUPSHUP_SOURCE: '917834811114',
  GUPSHUP_WEBHOOK_SECRET: 'a-long-random-secret-0123456789',
  GUPSHUP_API_URL: 'http://gupshup.test/wa/api/v1',
};
const contactId = '+60177872890';
const submitted = { status: 202, body: fixture('api/msg.response.json') };
const hook = adapter.webhooks.find((h) => h.path === WEBHOOK_PATH)!;
const send = (message: Message, ctx = buildContext(env, submitted).ctx) =>
  adapter.send({ channelId: 'gfd8g7fd89dgfd', contactId, message }, ctx);
const callback = (body: unknown, secret = env.GUPSHUP_WEBHOOK_SECRET) =>
  buildRequest(WEBHOOK_PATH, body, { query: { secret } });

/** Every event must be a body respond.io accepts. */
function expectValid(events: BridgeEvent[]) {
  for (const e of events) {
    const body = { channelId: 'gfd8g7fd89dgfd', contactId: e.contactId, events: [e.event], contact: e.contact };
    const parsed = WebhookBodySchema.safeParse(body);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  }
}

async function handle(file: string) {
  const { ctx, logs } = buildContext(env);
  const result = await hook.handle(callback(fixture(file)), ctx);
  expectValid(result.events);
  return { events: result.events, logs };
}

describe('send', () => {
  it('posts the form body with the apikey header to /msg and returns Gupshup messageId', async () => {
    const { ctx, calls } = buildContext(env, submitted);
    const result = await send({ type: 'text', text: 'Your order has shipped.' }, ctx);
    expect(result).toEqual({ mId: 'ee4a68a0-1203-4c85-8dc3-49d0b3226a35' });
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe('http://gupshup.test/wa/api/v1/msg');
    expect(calls[0].method).toBe('POST');
    expect(calls[0].headers.apikey).toBe(env.GUPSHUP_API_KEY);
    expect(calls[0].headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(calls[0].body).toEqual(fixture('api/msg-text.request.json'));
  });

  it('uses the public API URL when GUPSHUP_API_URL is empty', async () => {
    const { ctx, calls } = buildContext({ ...env, GUPSHUP_API_URL: '' }, submitted);
    await send({ type: 'text', text: 'Hi' }, ctx);
    expect(calls[0].url).toBe('https://api.gupshup.io/wa/api/v1/msg');
  });

  it.each([
    [
      { type: 'image', url: 'https://cdn.test/a.jpg' },
      { type: 'image', originalUrl: 'https://cdn.test/a.jpg', previewUrl: 'https://cdn.test/a.jpg' },
    ],
    [
      { type: 'video', url: 'https://cdn.test/v.mp4' },
      { type: 'video', url: 'https://cdn.test/v.mp4' },
    ],
    [
      { type: 'audio', url: 'https://cdn.test/a.ogg' },
      { type: 'audio', url: 'https://cdn.test/a.ogg' },
    ],
    [
      { type: 'file', url: 'https://cdn.test/docs/invoice%201.pdf' },
      { type: 'file', url: 'https://cdn.test/docs/invoice%201.pdf', filename: 'invoice 1.pdf' },
    ],
    [
      { type: 'file', url: 'https://cdn.test/x', fileName: 'terms.pdf' },
      { type: 'file', url: 'https://cdn.test/x', filename: 'terms.pdf' },
    ],
  ] as const)('maps a %o attachment to its Gupshup message type', (attachment, expected) => {
    expect(buildGupshupMessage({ type: 'attachment', attachment: { ...attachment } })).toEqual(expected);
  });

  it('sends up to 3 short quick replies as reply buttons, up to 10 as a list, more as numbered text', () => {
    const buttons = buildGupshupMessage({ type: 'quick_reply', title: 'Rate us', replies: ['Good', 'Bad'] });
    expect(buttons).toEqual({
      type: 'quick_reply',
      content: { type: 'text', text: 'Rate us' },
      options: [
        { type: 'text', title: 'Good' },
        { type: 'text', title: 'Bad' },
      ],
    });
    const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'];
    const list = buildGupshupMessage({ type: 'quick_reply', title: 'Pick a day', replies: days }) as Record<
      string,
      unknown
    >;
    expect(list.type).toBe('list');
    expect(list.body).toBe('Pick a day');
    expect((list.items as Array<{ options: unknown[] }>)[0].options).toHaveLength(5);
    const long = buildGupshupMessage({
      type: 'quick_reply',
      title: 'Q',
      replies: ['This reply is far too long for a button row'],
    });
    expect(long).toEqual({ type: 'text', text: 'Q\n1) This reply is far too long for a button row' });
    const many = Array.from({ length: 11 }, (_, i) => `r${i}`);
    expect(buildGupshupMessage({ type: 'quick_reply', title: 'Q', replies: many })?.type).toBe('text');
  });

  it('sends a location; declares no custom payload (WhatsApp has no form for it)', () => {
    expect(
      buildGupshupMessage({ type: 'location', latitude: 3.139, longitude: 101.6869, address: 'KL Sentral' }),
    ).toEqual({
      type: 'location',
      latitude: 3.139,
      longitude: 101.6869,
      name: 'KL Sentral',
      address: 'KL Sentral',
    });
    expect(adapter.capabilities.messageTypes).not.toContain('custom_payload');
    expect(adapter.capabilities.statuses).toEqual(['sent', 'delivered', 'read', 'failed']);
  });

  it('refuses a custom payload before calling Gupshup, should one reach it', async () => {
    const { ctx, calls } = buildContext(env, submitted);
    await expect(send({ type: 'custom_payload', payload: { hello: 1 } }, ctx)).rejects.toMatchObject({
      name: 'AdapterError',
    });
    expect(calls).toHaveLength(0);
  });

  // Always 400 towards respond.io: a 401 there would read as respond.io's own token being wrong.
  it('turns 4xx refusals into AdapterError (400 to respond.io) with Gupshup message', async () => {
    for (const [status, file] of [
      [400, 'api/msg.response-invalid-destination.json'],
      [401, 'api/unauthorized.response.json'],
    ] as const) {
      const { ctx } = buildContext(env, { status, body: fixture(file) });
      const sending = send({ type: 'text', text: 'x' }, ctx);
      await expect(sending).rejects.toMatchObject({ name: 'AdapterError', status: 400 });
      await expect(sending).rejects.toThrow(`(${status} `);
      await expect(sending).rejects.toThrow(/Invalid Destination|Authentication Failed/);
    }
  });

  it('treats 429, 5xx and network failures as retryable (a plain Error, not an AdapterError)', async () => {
    for (const reply of [
      { status: 429, body: fixture('api/too-many-requests.response.json') },
      { status: 503, body: '<html>Service Unavailable</html>' },
      new TypeError('fetch failed'),
    ]) {
      const { ctx } = buildContext(env, reply);
      const error = await send({ type: 'text', text: 'x' }, ctx).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).not.toBe('AdapterError');
    }
  });

  it('refuses a 2xx answer that is not "submitted" and names the missing settings', async () => {
    const { ctx } = buildContext(env, { status: 200, body: { status: 'error', message: 'Invalid App Details' } });
    await expect(send({ type: 'text', text: 'x' }, ctx)).rejects.toThrow(/Invalid App Details/);
    const { ctx: bare } = buildContext({}, submitted);
    await expect(send({ type: 'text', text: 'x' }, bare)).rejects.toThrow(/GUPSHUP_API_KEY is not set/);
  });
});

describe('callbacks', () => {
  it('fails closed: refuses every callback while GUPSHUP_WEBHOOK_SECRET is unset', async () => {
    const { ctx, logs } = buildContext({ ...env, GUPSHUP_WEBHOOK_SECRET: '' });
    expect(await hook.verify!(callback(fixture('callbacks/message-text.json'), ''), ctx)).toBe(false);
    expect(await hook.verify!(callback(fixture('callbacks/message-text.json'), 'anything'), ctx)).toBe(false);
    expect(logs.some((l) => /GUPSHUP_WEBHOOK_SECRET is not set/.test(l.msg))).toBe(true);
  });

  it('accepts only the configured secret in ?secret=', async () => {
    const { ctx } = buildContext(env);
    expect(await hook.verify!(callback({}), ctx)).toBe(true);
    expect(await hook.verify!(callback({}, `${env.GUPSHUP_WEBHOOK_SECRET}x`), ctx)).toBe(false);
    expect(await hook.verify!(buildRequest(WEBHOOK_PATH, {}), ctx)).toBe(false);
    expect(await hook.handshake!(callback(undefined), ctx)).toMatchObject({ status: 200 });
    expect(await hook.handshake!(buildRequest(WEBHOOK_PATH, undefined), ctx)).toMatchObject({ status: 401 });
  });

  it('turns a text message into a respond.io message with the contact', async () => {
    const { events } = await handle('callbacks/message-text.json');
    expect(events).toEqual([
      {
        contactId,
        contact: { phone: contactId, firstName: 'Aisha Rahman' },
        event: {
          type: 'message',
          mId: 'ABEGkYaYVSEEAhAL3SLAWwHKeKrt6s3FKB0c',
          timestamp: 1767225600000,
          message: { type: 'text', text: 'Hi, where is my parcel?' },
        },
      },
    ]);
  });

  it('turns image and file messages into attachments with type, caption and name', async () => {
    const image = (await handle('callbacks/message-image.json')).events[0].event;
    expect(image.type === 'message' && image.message).toEqual({
      type: 'attachment',
      attachment: {
        type: 'image',
        url: fixture<{ payload: { payload: { url: string } } }>('callbacks/message-image.json').payload.payload.url,
        mimeType: 'image/jpeg',
        description: 'The parcel as it arrived',
      },
    });
    const file = (await handle('callbacks/message-file.json')).events[0].event;
    expect(file.type === 'message' && file.message.type === 'attachment' && file.message.attachment).toMatchObject({
      type: 'file',
      fileName: 'invoice-1042.pdf',
      mimeType: 'application/pdf',
    });
  });

  it('turns a location (numbers sent as strings) and button/list replies into respond.io messages', async () => {
    const location = (await handle('callbacks/message-location.json')).events[0].event;
    expect(location.type === 'message' && location.message).toEqual({
      type: 'location',
      latitude: 3.139,
      longitude: 101.6869,
    });
    const button = (await handle('callbacks/message-button_reply.json')).events[0].event;
    expect(button.type === 'message' && button.message).toEqual({ type: 'text', text: 'Track my order' });
    const row = (await handle('callbacks/message-list_reply.json')).events[0].event;
    expect(row.type === 'message' && row.message).toEqual({ type: 'text', text: 'Saturday morning' });
  });

  it.each(['sent', 'delivered', 'read'])(
    'maps message-event %s to that status on Gupshup messageId (gsId)',
    async (type) => {
      const { events } = await handle(`callbacks/message-event-${type}.json`);
      expect(events).toHaveLength(1);
      expect(events[0].contactId).toBe(contactId);
      expect(events[0].event).toMatchObject({
        type: 'message_status',
        mId: 'ee4a68a0-1203-4c85-8dc3-49d0b3226a35',
        status: { value: type },
      });
      expect(events[0].event.timestamp).toBe(
        fixture<{ payload: { payload: { ts: number } } }>(`callbacks/message-event-${type}.json`).payload.payload.ts *
          1000,
      );
    },
  );

  it('maps message-event failed to failed with the reason and code', async () => {
    const { events } = await handle('callbacks/message-event-failed.json');
    expect(events[0].event).toMatchObject({
      type: 'message_status',
      mId: 'ee4a68a0-1203-4c85-8dc3-49d0b3226a35',
      status: { value: 'failed', message: 'Number Does Not Exists On WhatsApp (Gupshup code 1002)' },
    });
  });

  it('reports nothing for enqueued, but learns the WhatsApp id for late DLRs without gsId', async () => {
    expect((await handle('callbacks/message-event-enqueued.json')).events).toEqual([]);
    const late = fixture<{ payload: Record<string, unknown> }>('callbacks/message-event-read.json');
    delete late.payload.gsId;
    const { ctx } = buildContext(env);
    const { events } = await hook.handle(callback(late), ctx);
    expect(events[0].event.mId).toBe('ee4a68a0-1203-4c85-8dc3-49d0b3226a35');
    const unknown = { ...late, payload: { ...late.payload, id: 'gBEGnever-seen' } };
    expect((await hook.handle(callback(unknown), ctx)).events).toEqual([]);
  });

  it('acknowledges user events, unknown types and hostile bodies without events', async () => {
    expect((await handle('callbacks/user-event-opted-in.json')).events).toEqual([]);
    const { ctx } = buildContext(env);
    for (const body of [
      undefined,
      'not json',
      [],
      { type: 'message' },
      { type: 'message', payload: { type: 'contact', id: 'x', source: '1' } },
      { type: 'message-event', payload: { type: 'deleted' } },
    ]) {
      expect((await hook.handle(callback(body), ctx)).events).toEqual([]);
    }
  });

  it('keeps long WhatsApp ids within respond.io 50 characters, stably', () => {
    const wamid = 'wamid.HBgMOTE5MTYzODA1ODczFQIAERgSNkZCMThGMEEwQzJDOUFGQjFBAA==';
    expect(toMId(wamid)).toHaveLength(43);
    expect(toMId(wamid)).toBe(toMId(wamid));
    expect(toMId('short')).toBe('short');
  });
});

describe('fixtures', () => {
  it('names every callback fixture after a Gupshup event type', () => {
    const names = readdirSync(join(fixturesDir, 'callbacks'));
    for (const name of names) expect(name).toMatch(/^(message|message-event|user-event)-[a-z_-]+\.json$/);
    for (const type of ['enqueued', 'sent', 'delivered', 'read', 'failed'])
      expect(names).toContain(`message-event-${type}.json`);
  });

  it('uses the clock only for callbacks without a timestamp', async () => {
    const body = fixture<Record<string, unknown>>('callbacks/message-text.json');
    delete body.timestamp;
    const { ctx } = buildContext(env);
    const { events } = await hook.handle(callback(body), ctx);
    expect(events[0].event.timestamp).toBe(NOW);
  });
});
