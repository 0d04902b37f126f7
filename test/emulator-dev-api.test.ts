import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DevApiMessageListSchema, DevApiMessageSchema } from '../src/contract/developer-api.js';
import {
  answerOf,
  CONTACTS,
  type IntegrationServer,
  startIntegrationServer,
  startTestEmulator,
  statusEvent,
  type TestEmulator,
  textEvent,
  webhookBody,
} from './support/emulator-helpers.js';

let emulator: TestEmulator;
let server: IntegrationServer;
beforeEach(async () => {
  server = await startIntegrationServer();
  emulator = await startTestEmulator({ channels: [{ apiBaseUrl: server.url }] });
});
afterEach(async () => {
  await emulator.dispose();
  await server.close();
});

function api(path: string, init: { method?: string; body?: unknown; token?: string } = {}) {
  return fetch(`${emulator.devApiUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${init.token ?? emulator.devApiToken}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  }).then(answerOf);
}

const text = { type: 'text', text: 'From the Developer API' } as const;

describe('emulator Developer API v2 subset', () => {
  it('sends, gets and lists with the documented shapes', async () => {
    const sent = await api(`/contact/phone:${encodeURIComponent(CONTACTS.ok)}/message`, {
      method: 'POST',
      body: { channelId: emulator.channel.numericId, message: text },
    });
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({ messageId: expect.any(Number) });
    expect(sent.headers.get('x-ratelimit-limit')).toBe('10');
    expect(Number(sent.headers.get('x-ratelimit-remaining'))).toBeLessThan(10);
    const { messageId } = sent.body;
    const done = await emulator.waitFor((e) => e.type === 'message.status' && e.messageId === messageId, 3000, 0);
    expect(done).toMatchObject({ status: { value: 'sent' } });
    expect(server.requests[0].body).toEqual({
      channelId: emulator.channel.channelId,
      contactId: CONTACTS.ok,
      message: text,
    });
    // An unencoded "+" works too.
    const got = await api(`/contact/phone:${CONTACTS.ok}/message/${messageId}`);
    expect(got.status).toBe(200);
    expect(DevApiMessageSchema.parse(got.body)).toMatchObject({
      messageId,
      channelMessageId: 'prov-1',
      channelId: emulator.channel.numericId,
      traffic: 'outgoing',
      message: text,
      status: [{ value: 'pending' }, { value: 'sent' }],
    });
    await emulator.post(webhookBody(emulator, [statusEvent('prov-1', 'delivered')]));
    await emulator.post(webhookBody(emulator, [textEvent('reply', 'in-reply')]));
    const again = await api(`/contact/id:${got.body.contactId}/message/${messageId}`);
    expect(again.body.status.map((s: { value: string }) => s.value)).toEqual(['pending', 'sent', 'delivered']);

    const list = await api(`/contact/phone:${encodeURIComponent(CONTACTS.ok)}/message/list?limit=1`);
    expect(list.status).toBe(200);
    const page = DevApiMessageListSchema.parse(list.body);
    expect(page.items.map((m) => [m.traffic, m.channelMessageId])).toEqual([['incoming', 'in-reply']]);
    expect(page.pagination.next).toContain(`cursorId=${page.items[0].messageId}`);
    const next = await fetch(page.pagination.next as string, {
      headers: { authorization: `Bearer ${emulator.devApiToken}` },
    }).then(answerOf);
    expect(next.body.items.map((m: { messageId: number }) => m.messageId)).toEqual([messageId]);
    expect(next.body.pagination).toEqual({ next: '', previous: '' });
  });

  it('finds contacts by email and refuses unknown ones with {code, message}', async () => {
    await emulator.post(webhookBody(emulator, [textEvent()], { contact: { email: 'aisha@example.com' } }));
    const sent = await api('/contact/email:aisha@example.com/message', {
      method: 'POST',
      body: { channelId: emulator.channel.numericId, message: text },
    });
    expect(sent.status).toBe(200);
    const missing = await api('/contact/email:nobody@example.com/message', {
      method: 'POST',
      body: { channelId: emulator.channel.numericId, message: text },
    });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ code: 404, message: expect.stringContaining('contact not found') });
    const badId = await api('/contact/nickname:bob/message/list');
    expect(badId).toMatchObject({ status: 400, body: { code: 400 } });
    const noChannel = await api(`/contact/phone:${CONTACTS.ok}/message`, {
      method: 'POST',
      body: { channelId: 99, message: text },
    });
    expect(noChannel).toMatchObject({
      status: 404,
      body: { code: 404, message: 'channel 99 not found (GET /v2/space/channel lists them)' },
    });
  });

  it('answers 400 {code, message, problems} for an invalid body', async () => {
    const bad = await api(`/contact/phone:${CONTACTS.ok}/message`, {
      method: 'POST',
      body: { channelId: emulator.channel.channelId, message: { type: 'text', text: '' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe(400);
    expect(bad.body.problems.map((p: { path: string }) => p.path)).toEqual(['channelId', 'message.text']);
  });

  it('answers 401 {code, message} for a wrong or missing token', async () => {
    const wrong = await api(`/contact/phone:${CONTACTS.ok}/message/1`, { token: emulator.channel.token });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ code: 401, message: 'invalid access token' });
    const none = await fetch(`${emulator.devApiUrl}/contact/phone:${CONTACTS.ok}/message/1`).then(answerOf);
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ code: 401, message: expect.any(String) });
  });

  it('limits requests per token with X-RateLimit headers and Retry-After', async () => {
    const answers = await Promise.all(
      Array.from({ length: 15 }, () => api(`/contact/phone:${CONTACTS.ok}/message/list`)),
    );
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    for (const answer of limited) {
      expect(answer.body).toEqual({ code: 429, message: expect.any(String) });
      expect(answer.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
  });
});
