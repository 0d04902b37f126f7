/**
 * The Developer API as respond.io's official TypeScript SDK types it (payloads written from its
 * public type definitions): optional `channelId`, `sender`, numeric `channelMessageId`, string
 * pagination cursors, error codes that are not the HTTP status, the directory routes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DevApiContactChannelSchema,
  DevApiContactSchema,
  DevApiMessageListSchema,
  DevApiMessageSchema,
  DevApiSendBodySchema,
  DevApiSpaceChannelSchema,
  DevApiSpaceUserSchema,
  devApiListSchema,
} from '../src/contract/developer-api.js';
import { validatePayload } from '../src/contract/validate.js';
import { runLiveSend } from '../src/send/live.js';
import {
  answerOf,
  CONTACTS,
  type IntegrationServer,
  startIntegrationServer,
  startTestEmulator,
  type TestEmulator,
  textEvent,
} from './support/emulator-helpers.js';

let emulator: TestEmulator;
let server: IntegrationServer;
beforeEach(async () => {
  server = await startIntegrationServer();
  emulator = await startTestEmulator({
    devApiRateLimitPerSecond: 1000,
    channels: [
      { apiBaseUrl: server.url, name: 'SMS' },
      { apiBaseUrl: server.url, name: 'Web chat', idType: 'custom' },
    ],
  });
});
afterEach(async () => {
  await emulator.dispose();
  await server.close();
});

function api(path: string, init: { method?: string; body?: unknown; token?: string; contentType?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${init.token ?? emulator.devApiToken}` };
  if (init.contentType !== undefined) headers['content-type'] = init.contentType;
  else if (init.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${emulator.devApiUrl}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  }).then(answerOf);
}

const phone = encodeURIComponent(`phone:${CONTACTS.ok}`);
const text = { type: 'text', text: 'From the SDK' } as const;

describe('contract schemas accept what the SDK types allow', () => {
  it('a send body may omit channelId or give null', () => {
    expect(DevApiSendBodySchema.safeParse({ message: text }).success).toBe(true);
    expect(DevApiSendBodySchema.safeParse({ channelId: null, message: text }).success).toBe(true);
    expect(DevApiSendBodySchema.safeParse({ channelId: 'x', message: text }).success).toBe(false);
  });

  it('a fetched message with sender, a numeric channelMessageId and no status parses', () => {
    const fetched = {
      messageId: 1733,
      channelMessageId: 998877,
      contactId: 12,
      channelId: 3,
      traffic: 'outgoing',
      message: { type: 'text', text: 'Hi' },
      sender: { source: 'workflow', workflowId: 5 },
    };
    expect(DevApiMessageSchema.parse(fetched)).toMatchObject({
      channelMessageId: 998877,
      sender: { source: 'workflow' },
    });
    const list = { items: [fetched], pagination: { next: '', previous: '' } };
    expect(DevApiMessageListSchema.parse(list).pagination).toEqual({ next: '', previous: '' });
  });

  it('messageTag is refused in default mode, with the reason', () => {
    const result = validatePayload(
      { channelId: 1, message: { type: 'text', text: 'Hi', messageTag: 'ACCOUNT_UPDATE' } },
      { kind: 'dev-api-send' },
    );
    expect(result.valid).toBe(false);
    expect(result.errors).toEqual([
      {
        path: 'message.messageTag',
        message: expect.stringMatching(/tagged messages cannot be sent on a Custom Channel/),
      },
    ]);
    expect(result.warnings).toEqual([]);
  });

  it("respond.io's own example contact (locale, timezone) passes --strict", () => {
    const body = {
      channelId: 'abc',
      contactId: '+60123456789',
      events: [{ type: 'message', mId: 'm-1', timestamp: Date.now(), message: { type: 'text', text: 'Hello World' } }],
      contact: {
        firstName: 'Leo',
        lastName: 'Wong',
        profilePic: 'https://example.com/p.svg',
        locale: 'en_US',
        countryCode: 'MY',
        timezone: 8,
        email: 'tech@example.com',
        phone: '+60123456789',
        language: 'en',
      },
    };
    expect(validatePayload(body, { kind: 'webhook', strict: true })).toMatchObject({ valid: true, errors: [] });
    const bad = validatePayload({ ...body, contact: { timezone: 'Asia/Kuala_Lumpur' } }, { kind: 'webhook' });
    expect(bad.errors[0]).toMatchObject({ path: 'contact.timezone' });
  });
});

describe('emulator /v2 as the SDK calls it', () => {
  it('a send without channelId goes to the channel the contact last interacted on', async () => {
    const second = emulator.channels[1];
    const posted = await fetch(emulator.webhookUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${second.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        channelId: second.channelId,
        contactId: 'visitor_1',
        events: [textEvent('hi')],
        contact: { email: 'v@example.com' },
      }),
    });
    expect(posted.status).toBe(200);
    const sent = await api(`/contact/${encodeURIComponent('email:v@example.com')}/message`, {
      method: 'POST',
      body: { message: text },
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    const got = await api(`/contact/${encodeURIComponent('email:v@example.com')}/message/${sent.body.messageId}`);
    expect(got.body).toMatchObject({ channelId: second.numericId, sender: { source: 'api' } });

    const nowhere = await api(`/contact/${phone}/message`, {
      method: 'POST',
      body: { channelId: null, message: text },
    });
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.message).toMatch(/give channelId/);
  });

  it('channelMessageId is "" while /message is in flight, never null', async () => {
    const silent = encodeURIComponent(`phone:${CONTACTS.silent}`);
    const sent = await api(`/contact/${silent}/message`, {
      method: 'POST',
      body: { channelId: emulator.channel.numericId, message: text },
    });
    const got = await api(`/contact/${silent}/message/${sent.body.messageId}`);
    expect(got.body.channelMessageId).toBe('');
    expect(DevApiMessageSchema.parse(got.body).status?.[0]?.value).toBe('pending');
  });

  it('pagination cursors are strings: a URL, or "" when there is no such page', async () => {
    for (let i = 0; i < 3; i++) {
      await api(`/contact/${phone}/message`, {
        method: 'POST',
        body: { channelId: emulator.channel.numericId, message: text },
      });
    }
    const first = await api(`/contact/${phone}/message/list?limit=2`);
    expect(first.body.pagination.next).toMatch(/cursorId=/);
    expect(first.body.pagination.previous).toBe('');
    const last = await fetch(first.body.pagination.next, {
      headers: { authorization: `Bearer ${emulator.devApiToken}` },
    }).then(answerOf);
    expect(last.body.items).toHaveLength(1);
    expect(last.body.pagination).toEqual({ next: '', previous: '' });
  });

  it('checks the token and rate limit before routing; unknown routes are 501, not 404', async () => {
    const wrong = await api('/contact/id:1/tag', { method: 'POST', token: 'not-the-token', body: ['vip'] });
    expect(wrong.status).toBe(401);
    const unknown = await api('/contact/id:1/tag', { method: 'POST', body: ['vip'] });
    expect(unknown.status).toBe(501);
    expect(unknown.body).toEqual({
      code: 501,
      message: expect.stringMatching(/POST \/v2\/contact\/id:1\/tag is not emulated/),
    });
    expect(unknown.headers.get('x-ratelimit-limit')).toBe('1000');
  });

  it('a bodyless GET or DELETE with Content-Type: application/json is accepted', async () => {
    const get = await api('/space/user', { contentType: 'application/json' });
    expect(get.status).toBe(200);
    const del = await api('/contact/id:1', { method: 'DELETE', contentType: 'application/json' });
    expect(del.status).toBe(501);
  });

  it('refuses a tagged message with a clear reason', async () => {
    const sent = await api(`/contact/${phone}/message`, {
      method: 'POST',
      body: { channelId: emulator.channel.numericId, message: { ...text, messageTag: 'POST_PURCHASE_UPDATE' } },
    });
    expect(sent.status).toBe(400);
    expect(sent.body.message).toMatch(/message\.messageTag: tagged messages cannot be sent on a Custom Channel/);
  });

  it('lists the channels with their numeric ids, and the workspace users', async () => {
    const channels = await api('/space/channel');
    const parsed = devApiListSchema(DevApiSpaceChannelSchema).parse(channels.body);
    expect(parsed.items.map((c) => [c.id, c.name, c.source])).toEqual([
      [emulator.channels[0].numericId, 'SMS', 'custom_channel'],
      [emulator.channels[1].numericId, 'Web chat', 'custom_channel'],
    ]);
    expect(parsed.pagination).toEqual({ next: '', previous: '' });
    const users = await api('/space/user');
    expect(devApiListSchema(DevApiSpaceUserSchema).parse(users.body).items[0]).toMatchObject({ role: 'owner' });
  });

  it('creates, gets, updates a contact and lists its channels', async () => {
    const id = encodeURIComponent('phone:+60111222333');
    const created = await api(`/contact/${id}`, {
      method: 'POST',
      body: { firstName: 'Aina', email: 'aina@example.com' },
    });
    expect(created.status).toBe(200);
    expect(created.body.contactId).toEqual(expect.any(Number));
    expect((await api(`/contact/${id}`, { method: 'POST', body: { firstName: 'Aina' } })).status).toBe(409);

    const got = await api(`/contact/${id}`);
    expect(DevApiContactSchema.parse(got.body)).toMatchObject({
      firstName: 'Aina',
      phone: '+60111222333',
      email: 'aina@example.com',
    });
    const byId = await api(`/contact/id:${created.body.contactId}`);
    expect(byId.body.id).toBe(created.body.contactId);

    const updated = await api(`/contact/create_or_update/${id}`, {
      method: 'POST',
      body: { firstName: 'Aina B.', language: 'ms' },
    });
    expect(updated.body).toEqual({ contactId: created.body.contactId });
    expect((await api(`/contact/${id}`)).body).toMatchObject({ firstName: 'Aina B.', language: 'ms' });

    const fresh = await api(`/contact/create_or_update/${encodeURIComponent('email:new@example.com')}`, {
      method: 'POST',
      body: { firstName: 'New' },
    });
    expect(fresh.status).toBe(200);
    expect((await api(`/contact/${encodeURIComponent('email:new@example.com')}`)).body.firstName).toBe('New');

    const channels = await api(`/contact/${id}/channels`);
    const items = devApiListSchema(DevApiContactChannelSchema).parse(channels.body).items;
    expect(items.map((c) => c.id)).toEqual([emulator.channel.numericId]);

    const invalid = await api(`/contact/create_or_update/${id}`, { method: 'POST', body: { firstName: 7 } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toMatch(/^firstName: /);
    expect((await api('/contact/id:99999')).status).toBe(404);
  });
});

/** A stand-in for api.respond.io answering exactly as the SDK types it (numeric ids, no status at first). */
async function startSdkShapedApi(errorBody?: unknown) {
  let polls = 0;
  const server = http.createServer((req, res) => {
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    req.resume();
    req.on('end', () => {
      if (errorBody) return json(400, errorBody);
      if (req.method === 'POST') return json(200, { messageId: 4242 });
      polls += 1;
      const status = [
        { value: 'pending', timestamp: Date.now() },
        { value: 'sent', timestamp: Date.now() },
        { value: 'delivered', timestamp: Date.now() },
        { value: 'read', timestamp: Date.now() },
      ].slice(0, polls + 1);
      json(200, {
        messageId: 4242,
        channelMessageId: 31337,
        contactId: 7,
        channelId: 3,
        traffic: 'outgoing',
        message: { type: 'text', text: 'Hi' },
        sender: { source: 'api' },
        ...(polls === 1 ? {} : { status }),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('send --live against SDK-shaped answers', () => {
  it('follows the full flow with a numeric channelMessageId, sender and a first answer without status', async () => {
    const fake = await startSdkShapedApi();
    try {
      const result = await runLiveSend({
        baseUrl: fake.url,
        apiToken: 'token',
        channelId: 3,
        to: '60177872890',
        message: { type: 'text', text: 'Hi' },
        expect: ['sent', 'delivered', 'read'],
        timeoutMs: 5000,
        pollMs: 10,
      });
      expect(result.analysis.ok).toBe(true);
      expect(result.mId).toBe('31337');
      expect(result.statuses.map((s) => s.value)).toEqual(['sent', 'delivered', 'read']);
    } finally {
      await fake.close();
    }
  });

  it('reports an error by its HTTP status, whatever respond.io put in `code`', async () => {
    const fake = await startSdkShapedApi({ code: 'INVALID_CHANNEL', message: 'channel is not active' });
    try {
      const sending = runLiveSend({
        baseUrl: fake.url,
        apiToken: 'token',
        channelId: 3,
        to: '+60177872890',
        message: { type: 'text', text: 'Hi' },
        expect: ['sent'],
        timeoutMs: 1000,
      });
      await expect(sending).rejects.toThrow('Developer API send: 400 channel is not active');
    } finally {
      await fake.close();
    }
  });
});
