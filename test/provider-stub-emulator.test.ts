/**
 * The provider stand-ins end to end with the respond.io emulator: a user sends from the
 * emulator's Inbox, the bridge runs the template's adapter against the stand-in, and the
 * emulator's status history shows what the recorded provider pushes say.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBridge } from '../src/bridge/index.js';
import { startEmulator } from '../src/emulator/index.js';
import type { OutgoingMessageRecord } from '../src/emulator/types.js';
import { loadAdapter } from '../src/project.js';
import { startProviderStub } from '../src/provider-stub/server.js';

const templates = resolve(import.meta.dirname, '..', 'templates');
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function setUp(template: string, idType: 'phone' | 'custom') {
  const root = join(templates, template);
  const stateDir = await mkdtemp(join(tmpdir(), `stub-emulator-${template}-`));
  closers.push(() => rm(stateDir, { recursive: true, force: true }));
  const stub = await startProviderStub({ root, callbackDelayMs: 10 });
  closers.push(() => stub.close());
  const emulator = await startEmulator({ stateDir, channels: [{ idType }] });
  closers.push(() => emulator.close());
  const bridge = await startBridge({
    adapter: await loadAdapter(join(root, 'src', 'adapter.ts')),
    channel: { channelId: emulator.channel.channelId, token: emulator.channel.token, idType },
    respondio: { webhookUrl: emulator.webhookUrl },
    env: stub.env,
    stateDir,
  });
  closers.push(() => bridge.close());
  emulator.setApiBaseUrl(bridge.url);
  stub.setCallbackBase(bridge.url);
  return { stub, emulator };
}

/** Polls the emulator until the message's last status is `last`. */
async function statusesOf(emulator: Awaited<ReturnType<typeof setUp>>['emulator'], messageId: number, last: string) {
  const until = Date.now() + 5000;
  for (;;) {
    const record = emulator.getMessage(messageId) as OutgoingMessageRecord;
    if (record.status === last || Date.now() > until) return record;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('stand-ins with the respond.io emulator', () => {
  it('ClickSend: a message from the Inbox ends delivered, and a failed one carries the reason', async () => {
    const { stub, emulator } = await setUp('clicksend-sms', 'phone');
    const sent = await emulator.sendMessage({
      contactId: '+60177872890',
      message: { type: 'text', text: 'Your order has shipped.' },
    });
    expect(sent.mId).toBe(stub.requests()[0].messageId);
    const record = await statusesOf(emulator, sent.messageId, 'delivered');
    // pending (queued), sent (the bridge's 200), sent (ClickSend's 200 receipt), delivered (201).
    expect(record.statuses.map((s) => s.value)).toEqual(['pending', 'sent', 'sent', 'delivered']);

    stub.setScenario('+60123456789', 'failed');
    const failing = await emulator.sendMessage({ contactId: '+60123456789', message: { type: 'text', text: 'x' } });
    const failed = await statusesOf(emulator, failing.messageId, 'failed');
    expect(failed.status).toBe('failed');
    expect(JSON.stringify(failed)).toContain('the number is unreachable');
  });

  it('Telegram: a message from the Inbox is sent and stays sent; the contact writes in', async () => {
    const { stub, emulator } = await setUp('telegram-bot', 'custom');
    const { messageId } = await stub.injectInbound({ from: '123456789', text: 'Hi!', fromName: 'Aisha' });
    // The bridge accepted the push; its outbox delivers to respond.io right after.
    const until = Date.now() + 5000;
    while (!emulator.findByMId(emulator.channel.channelId, messageId) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(emulator.findByMId(emulator.channel.channelId, messageId)).toMatchObject({
      traffic: 'incoming',
      contactId: '123456789',
      message: { text: 'Hi!' },
    });

    const sent = await emulator.sendMessage({ contactId: '123456789', message: { type: 'text', text: 'Hello Aisha' } });
    expect(sent.status).toBe('sent');
    await stub.idle();
    await new Promise((r) => setTimeout(r, 100));
    const statuses = (emulator.getMessage(sent.messageId) as OutgoingMessageRecord).statuses.map((s) => s.value);
    expect(statuses).toEqual(['pending', 'sent']);
  });
});
