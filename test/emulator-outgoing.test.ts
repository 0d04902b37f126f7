import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OutgoingMessageRecord } from '../src/emulator/index.js';
import {
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
  emulator = await startTestEmulator({ messageTimeoutMs: 300 });
  emulator.setApiBaseUrl(server.url);
});
afterEach(async () => {
  await emulator.dispose();
  await server.close();
});

const text = { type: 'text', text: 'Your order has shipped.' } as const;

describe('emulator outgoing flow (POST <apiBaseUrl>/message)', () => {
  it('sends with the channel token and the respond.io body; {mId} makes it sent', async () => {
    const record = await emulator.sendMessage({ contactId: CONTACTS.ok, message: text });
    expect(server.requests).toEqual([
      {
        authorization: `Bearer ${emulator.channel.token}`,
        body: { channelId: emulator.channel.channelId, contactId: CONTACTS.ok, message: text },
      },
    ]);
    expect(record).toMatchObject({ status: 'sent', mId: 'prov-1', traffic: 'outgoing', origin: 'user' });
    expect(record.statuses.map((s) => s.value)).toEqual(['pending', 'sent']);
    expect(emulator.findByMId(emulator.channel.channelId, 'prov-1')?.messageId).toBe(record.messageId);
    const types = emulator.events().map((e) => e.type);
    expect(types).toEqual([
      'contact.created',
      'message.outgoing',
      'outgoing.request',
      'outgoing.response',
      'message.status',
    ]);
    const response = emulator.events().find((e) => e.type === 'outgoing.response');
    expect(response && 'exchange' in response ? response.exchange : undefined).toMatchObject({
      status: 200,
      mId: 'prov-1',
      url: `${server.url}/message`,
      requestHeaders: { authorization: expect.stringMatching(/^Bearer .{4}….{2}$/) },
    });
    expect(JSON.stringify(emulator.events())).not.toContain(emulator.channel.token);
  });

  it.each([
    ['a 400 error', CONTACTS.error400, 'provider rejected the number'],
    ['a 200 without mId', CONTACTS.noMId, 'HTTP 200 without an mId'],
    ['no answer (timeout)', CONTACTS.silent, 'within 300 ms (timeout)'],
  ])('marks the message failed after %s, with the reason', async (_name, contactId, reason) => {
    const record = await emulator.sendMessage({ contactId, message: text });
    expect(record.status).toBe('failed');
    expect(record.error).toContain(reason);
    expect(record.statuses.at(-1)).toMatchObject({ value: 'failed', message: expect.stringContaining(reason) });
  });

  it('stops waiting for /message when the emulator closes, failing the message', async () => {
    const patient = await startTestEmulator({ channels: [{ apiBaseUrl: server.url }] });
    const pending = patient.sendMessage({ contactId: CONTACTS.silent, message: text });
    await patient.waitFor((e) => e.type === 'outgoing.request', 2000, 0);
    const started = Date.now();
    await patient.dispose();
    expect(Date.now() - started).toBeLessThan(2000); // the default timeout is 10 s
    const record = await pending;
    expect(record).toMatchObject({ status: 'failed', error: 'the emulator closed before an answer came' });
  });

  it('fails a message when the channel has no API Base URL', async () => {
    emulator.setApiBaseUrl(emulator.channel.channelId, '');
    const record = await emulator.sendMessage({ contactId: CONTACTS.ok, message: text });
    expect(record).toMatchObject({ status: 'failed', error: expect.stringContaining('no API Base URL') });
  });

  it('refuses a message respond.io cannot send, and a first message on a Custom ID channel', async () => {
    await expect(
      emulator.sendMessage({ contactId: CONTACTS.ok, message: { type: 'text', text: '' } as never }),
    ).rejects.toThrow(/not one respond.io can send/);
    await expect(emulator.sendMessage({ contactId: '0123', message: text })).rejects.toThrow(
      /not one respond.io can send/,
    );
    const custom = await startTestEmulator({ channels: [{ idType: 'custom', apiBaseUrl: server.url }] });
    try {
      await expect(custom.sendMessage({ contactId: 'user_1', message: text })).rejects.toThrow(
        /cannot send the first message/,
      );
      await custom.post(webhookBody(custom, [textEvent()], {}, 'user_1'));
      expect((await custom.sendMessage({ contactId: 'user_1', message: text })).status).toBe('sent');
    } finally {
      await custom.dispose();
    }
  });

  it('moves a sent message through delivered and read with message_status events', async () => {
    const record = await emulator.sendMessage({ contactId: CONTACTS.ok, message: text });
    const mId = record.mId as string;
    expect((await emulator.post(webhookBody(emulator, [statusEvent(mId, 'sent')]))).status).toBe(200);
    expect((await emulator.post(webhookBody(emulator, [statusEvent(mId, 'delivered')]))).status).toBe(200);
    expect((await emulator.post(webhookBody(emulator, [statusEvent(mId, 'read')]))).status).toBe(200);
    const stored = emulator.getMessage(record.messageId) as OutgoingMessageRecord;
    expect(stored.status).toBe('read');
    expect(stored.statuses.map((s) => [s.value, s.source])).toEqual([
      ['pending', 'emulator'],
      ['sent', 'emulator'],
      ['sent', 'webhook'],
      ['delivered', 'webhook'],
      ['read', 'webhook'],
    ]);
    for (let i = 1; i < stored.statuses.length; i++) {
      expect(stored.statuses[i].timestamp).toBeGreaterThanOrEqual(stored.statuses[i - 1].timestamp);
    }
    expect(stored.anomalies).toEqual([]);
    const failed = await emulator.sendMessage({ contactId: CONTACTS.ok, message: text });
    await emulator.post(
      webhookBody(emulator, [statusEvent(failed.mId as string, 'failed', Date.now(), 'handset off')]),
    );
    expect(emulator.getMessage(failed.messageId)).toMatchObject({ status: 'failed', error: 'handset off' });
  });

  it('sends a broadcast to many contacts, throttled, and records each', async () => {
    const throttled = await startTestEmulator({ broadcastPerSecond: 10 });
    try {
      throttled.setApiBaseUrl(server.url);
      const contactIds = ['+60111111101', '+60111111102', '+60111111103', CONTACTS.error400];
      const started = Date.now();
      const records = await throttled.broadcast({ contactIds, message: text });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250); // 4 messages at 10/s: 0, 100, 200, 300 ms
      expect(records.map((r) => [r.contactId, r.status, r.origin])).toEqual([
        ['+60111111101', 'sent', 'broadcast'],
        ['+60111111102', 'sent', 'broadcast'],
        ['+60111111103', 'sent', 'broadcast'],
        [CONTACTS.error400, 'failed', 'broadcast'],
      ]);
      expect(new Set(records.map((r) => r.broadcastId)).size).toBe(1);
      await expect(throttled.broadcast({ contactIds: ['nope'], message: text })).rejects.toThrow(/cannot send to/);
    } finally {
      await throttled.dispose();
    }
  });
});

describe('emulator anomalies: reported, never silent', () => {
  const anomalies = () => emulator.events().flatMap((e) => (e.type === 'anomaly' ? [e.anomaly] : []));

  it('reports a status for an unknown mId', async () => {
    const answer = await emulator.post(webhookBody(emulator, [statusEvent('never-sent', 'delivered')]));
    expect(answer.status).toBe(200);
    expect(anomalies()).toEqual([
      expect.objectContaining({
        kind: 'unknown-mid',
        mId: 'never-sent',
        note: expect.stringContaining('undocumented'),
      }),
    ]);
  });

  it('reports a duplicate inbound mId and stores the message once', async () => {
    await emulator.post(webhookBody(emulator, [textEvent('one', 'dup-1')]));
    await emulator.post(webhookBody(emulator, [textEvent('again', 'dup-1')]));
    expect(emulator.listMessages()).toHaveLength(1);
    const [anomaly] = anomalies();
    expect(anomaly).toMatchObject({ kind: 'duplicate-mid', mId: 'dup-1', path: 'events[0].mId' });
    expect(emulator.listMessages()[0].anomalies).toEqual([anomaly]);
  });

  it('reports a regression (delivered after read) and keeps the status at read', async () => {
    const record = await emulator.sendMessage({ contactId: CONTACTS.ok, message: text });
    const mId = record.mId as string;
    await emulator.post(webhookBody(emulator, [statusEvent(mId, 'read'), statusEvent(mId, 'delivered')]));
    const stored = emulator.getMessage(record.messageId) as OutgoingMessageRecord;
    expect(stored.status).toBe('read');
    expect(stored.statuses.map((s) => s.value)).toEqual(['pending', 'sent', 'read', 'delivered']);
    expect(stored.anomalies.map((a) => a.kind)).toEqual(['status-regression']);
    expect(anomalies()[0].message).toMatch(/"delivered" after "read"/);
  });

  it('reports a status after failed', async () => {
    const record = await emulator.sendMessage({ contactId: CONTACTS.ok, message: text });
    const mId = record.mId as string;
    await emulator.post(webhookBody(emulator, [statusEvent(mId, 'failed', Date.now(), 'blocked')]));
    await emulator.post(webhookBody(emulator, [statusEvent(mId, 'delivered')]));
    const stored = emulator.getMessage(record.messageId) as OutgoingMessageRecord;
    expect(stored.status).toBe('failed');
    expect(stored.anomalies.map((a) => a.kind)).toEqual(['status-after-failed']);
  });

  it('reports timestamps that look like seconds, on messages and statuses', async () => {
    const seconds = Math.floor(Date.now() / 1000);
    const answer = await emulator.post(webhookBody(emulator, [textEvent('hi', 'sec-1', seconds)]));
    expect(answer.status).toBe(200);
    const record = await emulator.sendMessage({ contactId: CONTACTS.ok, message: text });
    await emulator.post(webhookBody(emulator, [statusEvent(record.mId as string, 'delivered', seconds)]));
    expect(anomalies().map((a) => [a.kind, a.path])).toEqual([
      ['seconds-timestamp', 'events[0].timestamp'],
      ['seconds-timestamp', 'events[0].timestamp'],
    ]);
    expect(emulator.findByMId(emulator.channel.channelId, 'sec-1')?.warnings[0].message).toMatch(/seconds/);
    // With strict, the same post is refused.
    const strict = await startTestEmulator({ strict: true });
    try {
      const refused = await strict.post(webhookBody(strict, [textEvent('hi', 'sec-2', seconds)]));
      expect(refused.status).toBe(400);
      expect(refused.body.error.problems[0].path).toBe('events[0].timestamp');
    } finally {
      await strict.dispose();
    }
  });

  it('lists anomalies and messages with status history through the inspection API', async () => {
    await emulator.post(webhookBody(emulator, [statusEvent('ghost', 'read')]));
    const started = await fetch(`${emulator.url}/_emulator/messages?wait=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contactId: CONTACTS.ok, message: text }),
    }).then((r) => r.json());
    expect(started).toMatchObject({ status: 'sent', statuses: [{ value: 'pending' }, { value: 'sent' }] });
    const listed = await fetch(`${emulator.url}/_emulator/anomalies`).then((r) => r.json());
    expect(listed.anomalies).toEqual([expect.objectContaining({ kind: 'unknown-mid', mId: 'ghost' })]);
    const one = await fetch(`${emulator.url}/_emulator/messages/${started.messageId}`).then((r) => r.json());
    expect(one.mId).toBe(started.mId);
    const conversations = await fetch(`${emulator.url}/_emulator/conversations`).then((r) => r.json());
    expect(conversations.conversations[0].messages).toHaveLength(1);
    const channels = await fetch(`${emulator.url}/_emulator/channels`).then((r) => r.text());
    expect(channels).not.toContain(emulator.channel.token);
    const bad = await fetch(`${emulator.url}/_emulator/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contactId: CONTACTS.ok, message: { type: 'text' } }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.problems[0].path).toBe('message.text');
    expect((await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' })).status).toBe(200);
    expect(emulator.listMessages()).toEqual([]);
  });
});
