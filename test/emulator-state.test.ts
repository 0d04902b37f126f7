import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DevEmulator } from '../src/dev/services.js';
import { startEmulator } from '../src/emulator/index.js';
import type { EmulatorEvent, EmulatorHandle } from '../src/emulator/types.js';
import type { InspectorEmulator } from '../src/inspector/compose.js';
import { buildRateLimiter } from '../src/lib/rate-limit.js';
import { CONTACTS, textEvent, webhookBody } from './support/emulator-helpers.js';

let dir: string;
const open: EmulatorHandle[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emulator-state-'));
});
afterEach(async () => {
  for (const emulator of open.splice(0)) await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

async function start(options: Parameters<typeof startEmulator>[0] = {}) {
  const emulator = await startEmulator({ stateDir: dir, ...options });
  open.push(emulator);
  return emulator;
}

function post(emulator: EmulatorHandle, body: unknown) {
  return fetch(emulator.webhookUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${emulator.channel.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('emulator credentials and persistence', () => {
  it('generates credentials once, keeps them across restarts in emulator.json (0600)', async () => {
    const first = await start();
    expect(first.channel.token).toHaveLength(46);
    expect(first.channel.channelId).toMatch(/^[a-z0-9]{14}$/);
    await first.close();
    const file = join(dir, 'emulator.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const second = await start();
    expect(second.channel).toMatchObject({ channelId: first.channel.channelId, token: first.channel.token });
    expect(second.devApiToken).toBe(first.devApiToken);
    const stored = JSON.parse(await readFile(file, 'utf8'));
    expect(stored.channels[0].token).toBe(first.channel.token);
    // Given values win over stored ones.
    const third = await start({ channels: [{ token: 'given-token-given-token-given-token' }] });
    expect(third.channel.token).toBe('given-token-given-token-given-token');
    expect(third.channel.channelId).toBe(first.channel.channelId);
  });

  it('keeps contacts and messages across a restart with persistFile', async () => {
    const persistFile = join(dir, 'emulator-state.json');
    const first = await start({ persistFile });
    expect((await post(first, webhookBody(first, [textEvent('kept', 'p-1')]))).status).toBe(200);
    await first.close();
    expect((await stat(persistFile)).mode & 0o777).toBe(0o600);
    const second = await start({ persistFile });
    expect(second.listContacts().map((c) => c.contactId)).toEqual([CONTACTS.ok]);
    expect(second.findByMId(second.channel.channelId, 'p-1')?.message).toEqual({ type: 'text', text: 'kept' });
    // New ids continue after the restored ones; a repeated mId is still a duplicate.
    await post(second, webhookBody(second, [textEvent('kept', 'p-1'), textEvent('new', 'p-2')]));
    const messages = second.listMessages();
    expect(messages.map((m) => m.messageId)).toEqual([2, 1]);
    expect(second.events().some((e) => e.type === 'anomaly' && e.anomaly.kind === 'duplicate-mid')).toBe(true);
  });

  it('fits the seams dev and the inspector code against', async () => {
    const emulator = await start({ channels: [{ idType: 'custom' }] });
    const asDev: DevEmulator = emulator;
    const asInspector: InspectorEmulator = emulator;
    asDev.setApiBaseUrl('http://127.0.0.1:9');
    expect(emulator.channel.apiBaseUrl).toBe('http://127.0.0.1:9');
    expect(asDev.channel.idType).toBe('custom');
    expect(typeof asInspector.subscribe(() => {})).toBe('function');
  });

  it('stays in memory without persistFile', async () => {
    const first = await start();
    await post(first, webhookBody(first, [textEvent()]));
    await first.close();
    const second = await start();
    expect(second.listMessages()).toEqual([]);
  });
});

describe('emulator events', () => {
  async function readSse(url: string, count: number): Promise<EmulatorEvent[]> {
    const controller = new AbortController();
    const res = await fetch(url, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const events: EmulatorEvent[] = [];
    while (events.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').find((line) => line.startsWith('data: '));
        if (data) events.push(JSON.parse(data.slice(6)));
        end = buffer.indexOf('\n\n');
      }
    }
    controller.abort();
    return events;
  }

  it('streams every event as SSE with increasing seq, replaying kept ones after ?since', async () => {
    const emulator = await start();
    await post(emulator, webhookBody(emulator, [textEvent('one')]));
    const [accepted] = emulator.events();
    const live = readSse(`${emulator.url}/_emulator/events?since=${accepted.seq}`, 4);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await post(emulator, webhookBody(emulator, [textEvent('two')]));
    const events = await live;
    expect(events.map((e) => e.type)).toEqual([
      'contact.created',
      'message.inbound',
      'webhook.accepted',
      'message.inbound',
    ]);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(events[0].seq).toBe(accepted.seq + 1);
    for (const event of events) expect(typeof event.time).toBe('number');
    const snapshot = await fetch(`${emulator.url}/_emulator/events?format=json&since=${accepted.seq}`).then((r) =>
      r.json(),
    );
    expect(snapshot.events.map((e: EmulatorEvent) => e.seq)).toEqual(seqs);
    expect(snapshot.lastSeq).toBe(seqs.at(-1));
  });

  it('replays after Last-Event-ID, and close() ends open streams', async () => {
    const emulator = await start();
    await post(emulator, webhookBody(emulator, [textEvent('one')]));
    const [accepted] = emulator.events();
    const res = await fetch(`${emulator.url}/_emulator/events`, { headers: { 'last-event-id': String(accepted.seq) } });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('message.inbound')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).not.toContain('webhook.accepted');
    expect(text).toContain(`id: ${accepted.seq + 1}\n`);
    await emulator.close();
    let done = false;
    while (!done) done = (await reader.read()).done;
    expect(done).toBe(true);
  });

  it('waits for a matching event, in kept events first', async () => {
    const emulator = await start();
    await post(emulator, webhookBody(emulator, [textEvent('x', 'w-1')]));
    const kept = await emulator.waitFor((e) => e.type === 'message.inbound', 100, 0);
    expect(kept.mId).toBe('w-1');
    await expect(emulator.waitFor((e) => e.type === 'reset', 50)).rejects.toThrow(/within 50 ms/);
    const later = emulator.waitFor((e) => e.type === 'reset');
    emulator.reset();
    expect((await later).type).toBe('reset');
    const closed = emulator.close();
    await emulator.close();
    await closed;
  });
});

describe('sliding-window rate limiter', () => {
  it('allows at most `limit` hits in any window, per key, and says when to retry', () => {
    let now = 1000;
    const limiter = buildRateLimiter({ limit: 3, windowMs: 1000, now: () => now });
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ allowed: false, limit: 3, remaining: 0, retryAfterMs: 1000 });
    expect(limiter.take('b').allowed).toBe(true);
    now = 1600;
    expect(limiter.take('a')).toMatchObject({ allowed: false, retryAfterMs: 400 });
    now = 2000;
    // The three hits at 1000 leave the window exactly now.
    expect(limiter.peek('a')).toMatchObject({ allowed: true, remaining: 3 });
    expect(limiter.take('a')).toMatchObject({ allowed: true, remaining: 2 });
    now = 2500;
    expect([limiter.take('a').allowed, limiter.take('a').allowed, limiter.take('a').allowed]).toEqual([
      true,
      true,
      false,
    ]);
    limiter.reset('a');
    expect(limiter.take('a').allowed).toBe(true);
  });
});
