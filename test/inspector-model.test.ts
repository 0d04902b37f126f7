import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Exchange, ExchangeFeed } from '../src/exchange.js';
import { buildCurl } from '../src/inspector/curl.js';
import { History } from '../src/inspector/history.js';
import { buildView } from '../src/inspector/model.js';
import { buildScrubber } from '../src/inspector/scrub.js';
import type { Entry } from '../src/inspector/types.js';
import { CHANNEL_ID, inbound, outbound, scriptedConversation, status } from './support/inspector-traffic.js';

const TOKEN = 'tok_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefgh';

function capture(script: (feed: ExchangeFeed) => void): Entry[] {
  const feed = new ExchangeFeed();
  const entries: Entry[] = [];
  feed.subscribe((exchange) =>
    entries.push({ seq: entries.length + 1, time: exchange.time, kind: 'exchange', exchange }),
  );
  script(feed);
  return entries;
}

describe('buildView', () => {
  const entries = capture((feed) => scriptedConversation(feed, TOKEN, 1_767_225_600_000));
  const view = buildView(entries);
  const aisha = view.conversations.find((c) => c.contactId === '+60177872890');

  it('groups by contact, most recent first, with the webhook contact name', () => {
    expect(view.conversations.map((c) => c.contactId)).toEqual(['+447700900123', '+60177872890']);
    expect(aisha?.name).toBe('Aisha Rahman');
  });

  it('makes inbound, outbound and echo bubbles in time order', () => {
    expect(aisha?.bubbles.map((b) => `${b.kind}:${b.mId ?? '-'}`)).toEqual([
      'inbound:in-1',
      'outbound:prov-1',
      'outbound:prov-2',
      'echo:echo-1',
      'outbound:-',
    ]);
  });

  it('ticks outbound messages and keeps the failure reason', () => {
    const [, first, second, , refused] = aisha?.bubbles ?? [];
    expect(first.status).toBe('read');
    expect(first.statuses.map((s) => s.value)).toEqual(['sent', 'delivered', 'read']);
    expect(first.anomalies).toEqual([]);
    expect(second.status).toBe('read');
    expect(second.anomalies).toEqual(['delivered arrived after read (out of order)']);
    expect(refused.status).toBe('failed');
    expect(refused.failedReason).toBe('provider: invalid recipient');
  });

  it('puts the exchanges of both legs under the bubble they carried', () => {
    const first = aisha?.bubbles[1];
    const legs = first?.exchanges.map((seq) => {
      const x = (entries[seq - 1] as { exchange: Exchange }).exchange;
      return `${x.leg}:${x.direction}`;
    });
    expect(legs?.sort()).toEqual([
      'provider:in',
      'provider:in',
      'provider:out',
      'respondio:in',
      'respondio:out',
      'respondio:out',
    ]);
    expect(view.unmatched).toEqual([]);
  });

  it('flags a status for an unknown mId, a duplicate inbound mId and second timestamps', () => {
    const more = capture((feed) => {
      inbound(feed, TOKEN, { contactId: 'c1', mId: 'dup', text: 'one', time: 1_767_225_600_000 });
      inbound(feed, TOKEN, { contactId: 'c1', mId: 'dup', text: 'one', time: 1_767_225_600_100 });
      inbound(feed, TOKEN, { contactId: 'c1', mId: 'sec', text: 'old clock', time: 1_767_225_600 });
      status(feed, TOKEN, { contactId: 'c1', mId: 'nobody', value: 'delivered', time: 1_767_225_601_000 });
    });
    const c1 = buildView(more).conversations[0];
    expect(c1.bubbles.find((b) => b.mId === 'dup')?.anomalies).toEqual(['duplicate mId dup']);
    expect(c1.bubbles.find((b) => b.mId === 'sec')?.anomalies[0]).toMatch(/looks like seconds/);
    expect(c1.notes.map((n) => n.text)).toEqual([
      "status delivered for unknown mId nobody (respond.io's handling is undocumented)",
    ]);
    expect(c1.anomalyCount).toBe(3);
  });

  it('flags a status after failed and a rejected webhook', () => {
    const more = capture((feed) => {
      outbound(feed, TOKEN, {
        contactId: 'c2',
        mId: 'm1',
        text: 'hi',
        time: 1_767_225_600_000,
        statuses: ['failed', 'read'],
      });
      feed.publish({
        time: 1_767_225_609_000,
        leg: 'respondio',
        direction: 'out',
        method: 'POST',
        url: 'http://127.0.0.1:4000/custom/channel/webhook/',
        status: 429,
        latencyMs: 1,
        requestHeaders: {},
        requestBody: {
          channelId: CHANNEL_ID,
          contactId: 'c2',
          events: [{ type: 'message', mId: 'm2', timestamp: 1_767_225_609_000, message: { type: 'text', text: 'x' } }],
        },
        responseBody: { error: { message: 'rate limited' } },
      });
    });
    const c2 = buildView(more).conversations[0];
    expect(c2.bubbles[0].anomalies).toEqual(['read after failed']);
    expect(c2.bubbles[1].anomalies).toEqual(['respond.io answered 429: rate limited']);
  });
});

describe('buildCurl', () => {
  it('repeats the request with $TOKEN in place of the masked token', () => {
    const [entry] = capture((feed) =>
      outbound(feed, TOKEN, { contactId: '+1', mId: 'm', text: "it's", time: 1, statuses: [] }),
    ).filter((e) => e.kind === 'exchange' && e.exchange.url === '/message');
    const curl = buildCurl((entry as { exchange: Exchange }).exchange, 'http://127.0.0.1:3000');
    expect(curl).toContain(`curl -X POST 'http://127.0.0.1:3000/message'`);
    expect(curl).toContain('-H "authorization: Bearer $TOKEN"');
    expect(curl).toContain(`'\\''s`);
    expect(curl).not.toContain(TOKEN.slice(4, 20));
  });
});

describe('buildScrubber', () => {
  it('masks known secrets anywhere and secret headers by name', () => {
    const scrub = buildScrubber(() => [TOKEN, undefined]);
    const out = scrub({
      a: [`see ${TOKEN}`],
      headers: { Authorization: `Bearer ${TOKEN}`, 'x-api-key': 'sk_live_abcdefghijklmnop' },
    });
    expect(JSON.stringify(out)).not.toContain(TOKEN);
    expect(out).toEqual({ a: ['see tok_…gh'], headers: { Authorization: 'Bearer tok_…gh', 'x-api-key': 'sk_l…op' } });
  });
});

describe('History', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('survives a restart, stays bounded, skips a torn line and keeps the file private', async () => {
    dir = await mkdtemp(join(tmpdir(), 'inspector-history-'));
    const file = join(dir, '.custom-channel', 'inspector.ndjson');
    const first = await History.open({ file, max: 5 });
    const make = (i: number) => ({ time: i, kind: 'emulator', event: { seq: i, time: i, type: 'reset' } }) as const;
    for (let i = 1; i <= 12; i += 1) first.append(make(i));
    await first.flush();
    expect(first.list().map((e) => e.seq)).toEqual([8, 9, 10, 11, 12]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(10);

    await writeFile(file, `${await readFile(file, 'utf8')}{"seq":13,"ki`);
    const second = await History.open({ file, max: 5 });
    expect(second.list().map((e) => e.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(second.append(make(13)).seq).toBe(13);
    expect(second.list(11).map((e) => e.seq)).toEqual([12, 13]);
    await second.flush();
    const third = await History.open({ file, max: 5 });
    expect(third.list().map((e) => e.seq)).toEqual([9, 10, 11, 12, 13]);
  });
});

describe('buildView: a queued send', () => {
  it('puts the send queue steps and the later provider call under the bubble of the bridge mId', () => {
    const t = 1_767_225_600_000;
    const mId = 'cc-0b1c2d3e-0000-4000-8000-000000000001';
    const entries = capture((feed) => {
      const base = { requestHeaders: {}, latencyMs: 1, contactId: '+60177872890', messageType: 'text' };
      feed.publish({
        ...base,
        time: t,
        leg: 'respondio',
        direction: 'in',
        method: 'POST',
        url: '/message',
        status: 200,
        latencyMs: 5000,
        requestBody: { channelId: CHANNEL_ID, contactId: '+60177872890', message: { type: 'text', text: 'Hi' } },
        responseBody: { mId },
        mId,
      });
      const step = (time: number, method: string, status: number, body: Record<string, unknown>) =>
        feed.publish({
          ...base,
          time,
          leg: 'queue',
          direction: 'out',
          method,
          url: 'send-queue',
          status,
          requestBody: body,
          mId,
        });
      step(t + 5000, 'QUEUED', 202, { step: 'queued', attempts: 6 });
      step(t + 6000, 'ATTEMPT', 503, { step: 'attempt', attempts: 7, nextAt: t + 7000 });
      feed.publish({
        ...base,
        time: t + 7000,
        leg: 'provider',
        direction: 'out',
        method: 'POST',
        url: 'http://127.0.0.1:4010/v1/messages',
        status: 200,
        responseBody: { id: 'prov-9' },
        mId,
      });
      step(t + 7001, 'SENT', 200, { step: 'sent', attempts: 8, providerMId: 'prov-9' });
    });
    const bubble = buildView(entries).conversations[0].bubbles[0];
    expect(bubble).toMatchObject({ kind: 'outbound', mId, status: 'sent' });
    const kinds = bubble.exchanges.map((seq) => {
      const x = (entries[seq - 1] as { exchange: Exchange }).exchange;
      return `${x.leg}:${x.method}`;
    });
    expect(kinds.sort()).toEqual(
      ['provider:POST', 'queue:ATTEMPT', 'queue:QUEUED', 'queue:SENT', 'respondio:POST'].sort(),
    );
  });
});
