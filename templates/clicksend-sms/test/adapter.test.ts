import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BridgeEvent, WebhookBodySchema } from 'custom-channel';
import { describe, expect, it } from 'vitest';
import adapter, { INBOUND_PATH, RECEIPTS_PATH } from '../src/adapter.ts';
import { buildContext, buildRequest, fixture, fixturesDir, formFixture, NOW } from './helpers.ts';

const env = {
  CLICKSEND_USERNAME: 'acme-user',
  CLICKSEND_API_KEY: 'ABCDEF12-3456-7890-ABCD-EF1234567890',
  CLICKSEND_API_URL: 'http://clicksend.test/v3',
};
const contactId = '+60177872890';
const ok = { status: 200, body: fixture('api/sms-send.response.json') };
const hook = (path: string) => {
  const found = adapter.webhooks.find((h) => h.path === path);
  if (!found) throw new Error(`no webhook ${path}`);
  return found;
};

/** Every event must be a body respond.io accepts. */
function expectValid(events: BridgeEvent[]) {
  for (const e of events) {
    const body = { channelId: 'gfd8g7fd89dgfd', contactId: e.contactId, events: [e.event], contact: e.contact };
    const parsed = WebhookBodySchema.safeParse(body);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  }
}

describe('send', () => {
  it('sends a text through POST /sms/send with Basic auth and returns the message_id', async () => {
    const { ctx, calls } = buildContext(env, ok);
    const result = await adapter.send(
      { channelId: 'gfd8g7fd89dgfd', contactId, message: { type: 'text', text: 'Your order has shipped.' } },
      ctx,
    );
    expect(result).toEqual({ mId: 'BF7AD270-0DE2-418B-B606-71D527D9C1AE' });
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe('http://clicksend.test/v3/sms/send');
    expect(calls[0].method).toBe('POST');
    const basic = Buffer.from(`${env.CLICKSEND_USERNAME}:${env.CLICKSEND_API_KEY}`).toString('base64');
    expect(calls[0].headers.authorization).toBe(`Basic ${basic}`);
    expect(calls[0].body).toEqual(fixture('api/sms-send.request.json'));
  });

  it('uses the default API URL and CLICKSEND_FROM when set', async () => {
    const { ctx, calls } = buildContext({ ...env, CLICKSEND_API_URL: '', CLICKSEND_FROM: 'ACME' }, ok);
    await adapter.send({ channelId: 'c', contactId, message: { type: 'text', text: 'Hi' } }, ctx);
    expect(calls[0].url).toBe('https://rest.clicksend.com/v3/sms/send');
    expect((calls[0].body as { messages: Array<{ from?: string }> }).messages[0].from).toBe('ACME');
  });

  it('renders quick replies as a numbered list and a location as a map link', async () => {
    const { ctx, calls } = buildContext(env, ok);
    await adapter.send(
      { channelId: 'c', contactId, message: { type: 'quick_reply', title: 'Rate us', replies: ['Good', 'Bad'] } },
      ctx,
    );
    await adapter.send(
      { channelId: 'c', contactId, message: { type: 'location', latitude: 3.1, longitude: 101.6, address: 'KL' } },
      ctx,
    );
    const bodies = calls.map((c) => (c.body as { messages: Array<{ body: string }> }).messages[0].body);
    expect(bodies).toEqual(['Rate us\n1) Good\n2) Bad', 'KL\nhttps://maps.google.com/?q=3.1,101.6']);
  });

  it('declares that SMS cannot carry attachments or custom payloads', () => {
    expect(adapter.capabilities.messageTypes).not.toContain('attachment');
    expect(adapter.capabilities.messageTypes).not.toContain('custom_payload');
    expect(adapter.capabilities.statuses).toEqual(['sent', 'delivered', 'failed']);
  });

  it('refuses with the per-message status when ClickSend rejects the recipient', async () => {
    const { ctx } = buildContext(env, { status: 200, body: fixture('api/sms-send.response-invalid-recipient.json') });
    const sending = adapter.send({ channelId: 'c', contactId: '+6012', message: { type: 'text', text: 'x' } }, ctx);
    await expect(sending).rejects.toMatchObject({ name: 'AdapterError', status: 400 });
    await expect(sending).rejects.toThrow(/INVALID_RECIPIENT/);
  });

  it('turns a 401 into a clear error and a 5xx into a retryable one', async () => {
    const unauthorized = buildContext(env, { status: 401, body: fixture('api/unauthorized.response.json') });
    await expect(
      adapter.send({ channelId: 'c', contactId, message: { type: 'text', text: 'x' } }, unauthorized.ctx),
    ).rejects.toMatchObject({ name: 'AdapterError', message: expect.stringMatching(/401 UNAUTHORIZED/) });
    const down = buildContext(env, { status: 503, body: { response_code: 'INTERNAL_SERVER_ERROR' } });
    const error = await adapter
      .send({ channelId: 'c', contactId, message: { type: 'text', text: 'x' } }, down.ctx)
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'RetryableError', status: 503 });
  });

  it('names the missing credential', async () => {
    const { ctx } = buildContext({ CLICKSEND_USERNAME: 'u' }, ok);
    await expect(
      adapter.send({ channelId: 'c', contactId, message: { type: 'text', text: 'x' } }, ctx),
    ).rejects.toThrow(/CLICKSEND_API_KEY is not set/);
  });
});

describe('inbound SMS push', () => {
  const expected = {
    contactId,
    contact: { phone: contactId },
    event: {
      type: 'message',
      mId: '6A1D5F0E-2B3C-4D8E-9F10-112233445566',
      timestamp: 1767225660000,
      message: { type: 'text', text: 'Thanks! When will it arrive?' },
    },
  };

  it('turns a JSON push into a respond.io message event', async () => {
    const { ctx } = buildContext(env);
    const result = await hook(INBOUND_PATH).handle(buildRequest(INBOUND_PATH, fixture('push/inbound-sms.json')), ctx);
    expect(result.events).toEqual([expected]);
    expectValid(result.events);
  });

  it('reads the form-urlencoded push the same way', async () => {
    const { ctx } = buildContext(env);
    const result = await hook(INBOUND_PATH).handle(
      buildRequest(INBOUND_PATH, formFixture('push/inbound-sms.form.txt')),
      ctx,
    );
    expect(result.events).toEqual([expected]);
  });

  it('reads an answer to the last quick reply by number or text, once', async () => {
    const contact = '+60111111111';
    const { ctx } = buildContext(env, ok);
    const ask = async () =>
      adapter.send(
        {
          channelId: 'c',
          contactId: contact,
          message: { type: 'quick_reply', title: 'Rate us', replies: ['Good', 'Bad'] },
        },
        ctx,
      );
    const answer = async (body: string) => {
      const push = { ...fixture<object>('push/inbound-sms.json'), from: contact, body };
      const result = await hook(INBOUND_PATH).handle(buildRequest(INBOUND_PATH, push), ctx);
      const event = result.events[0].event;
      return event.type === 'message' && event.message.type === 'text' ? event.message.text : undefined;
    };
    await ask();
    expect(await answer(' 2) ')).toBe('Bad');
    expect(await answer('2')).toBe('2');
    await ask();
    expect(await answer('good')).toBe('Good');
    await ask();
    expect(await answer('7')).toBe('7');
    expect(await answer('Thanks')).toBe('Thanks');
  });

  it('answers 400 and queues nothing for a body that is not a push', async () => {
    const { ctx } = buildContext(env);
    const result = await hook(INBOUND_PATH).handle(buildRequest(INBOUND_PATH, { hello: 'world' }), ctx);
    expect(result.events).toEqual([]);
    expect(result.reply?.status).toBe(400);
  });
});

describe('delivery receipt push', () => {
  const receipt = async (body: unknown) => {
    const { ctx, logs } = buildContext(env);
    const result = await hook(RECEIPTS_PATH).handle(buildRequest(RECEIPTS_PATH, body), ctx);
    expectValid(result.events);
    return { events: result.events, logs };
  };

  it.each([
    ['push/receipt-sent.json', { value: 'sent' }, 1767225601000],
    ['push/receipt-delivered.json', { value: 'delivered' }, 1767225605000],
    [
      'push/receipt-failed.json',
      {
        value: 'failed',
        message: 'Failed: Message could not be delivered.: Delivery failed: the number is unreachable. (error 301)',
      },
      1767225630000,
    ],
  ])('maps %s', async (file, status, timestamp) => {
    const { events } = await receipt(fixture(file));
    expect(events).toEqual([
      {
        contactId,
        event: { type: 'message_status', mId: 'BF7AD270-0DE2-418B-B606-71D527D9C1AE', timestamp, status },
      },
    ]);
  });

  it('reads a form-urlencoded receipt with empty error fields', async () => {
    const { events } = await receipt(formFixture('push/receipt-delivered.form.txt'));
    expect(events.map((e) => e.event)).toMatchObject([{ type: 'message_status', status: { value: 'delivered' } }]);
  });

  it('reports nothing for 300 (ClickSend retries) and logs it', async () => {
    const { events, logs } = await receipt({ ...fixture<object>('push/receipt-sent.json'), status_code: '300' });
    expect(events).toEqual([]);
    expect(logs.some((l) => /not final/.test(l.msg))).toBe(true);
  });

  it('finds the recipient of a receipt without custom_string from its own sends', async () => {
    const { ctx } = buildContext(env, ok);
    await adapter.send({ channelId: 'c', contactId, message: { type: 'text', text: 'x' } }, ctx);
    const { events } = await receipt({ ...fixture<object>('push/receipt-delivered.json'), custom_string: null });
    expect(events[0]?.contactId).toBe(contactId);
    const unknown = await receipt({
      ...fixture<object>('push/receipt-delivered.json'),
      message_id: 'NEVER-SENT',
      custom_string: null,
    });
    expect(unknown.events).toEqual([]);
  });
});

describe('webhook secret', () => {
  it('refuses every push without CLICKSEND_WEBHOOK_SECRET (fail closed) and only ?secret= pushes with it', async () => {
    const verify = hook(INBOUND_PATH).verify!;
    const request = buildRequest(INBOUND_PATH, {});
    const open = buildContext({ ...env, CLICKSEND_WEBHOOK_SECRET: '' }).ctx;
    expect(await verify(request, open)).toBe(false);
    expect(await verify({ ...request, query: { secret: '' } }, open)).toBe(false);
    expect(adapter.webhooks.map((h) => h.secretEnv)).toEqual(['CLICKSEND_WEBHOOK_SECRET', 'CLICKSEND_WEBHOOK_SECRET']);
    const strict = buildContext({ ...env, CLICKSEND_WEBHOOK_SECRET: 'pa55-w0rd-0123456789' }).ctx;
    expect(await verify(request, strict)).toBe(false);
    expect(await verify({ ...request, query: { secret: 'wrong' } }, strict)).toBe(false);
    expect(await verify({ ...request, query: { secret: 'pa55-w0rd-0123456789' } }, strict)).toBe(true);
  });
});

describe('fixtures', () => {
  it('simulate fixtures target the adapter webhook routes', () => {
    const paths = adapter.webhooks.map((h) => h.path);
    const files = readdirSync(join(fixturesDir, 'simulate'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const path = fixture<{ path: string }>(`simulate/${file}`).path;
      expect(paths).toContain(path.split('?')[0]);
      // Pushes carry the secret, as the push URLs configured in ClickSend must.
      expect(path).toMatch(/\?secret=\{\{env:CLICKSEND_WEBHOOK_SECRET\}\}$/);
    }
  });

  it('uses the fixed clock only when a push has no timestamp', async () => {
    const { ctx } = buildContext(env);
    const body = { ...fixture<object>('push/inbound-sms.json'), timestamp: undefined };
    const result = await hook(INBOUND_PATH).handle(buildRequest(INBOUND_PATH, body), ctx);
    expect(result.events[0].event.timestamp).toBe(NOW);
  });
});
