import { expect, it } from 'vitest';
import { buildDeliver } from '../src/bridge/deliver.js';
import { type Exchange, ExchangeFeed } from '../src/exchange.js';
import type { OutboxEntry } from '../src/outbox/types.js';

const TOKEN = 'tok_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH';
const entry: OutboxEntry = {
  id: 'e-1',
  key: 'message_status:m-1:read',
  enqueuedAt: 0,
  attempts: 1,
  item: {
    contactId: '+60177872890',
    contact: { firstName: 'Aisha' },
    event: { type: 'message_status', mId: 'm-1', timestamp: 1767225600000, status: { value: 'read' } },
  },
};

function harness(answer: () => Response | Promise<Response>) {
  const requests: Array<{ url: string; init: RequestInit }> = [];
  const records: Exchange[] = [];
  const feed = new ExchangeFeed();
  feed.subscribe((e) => records.push(e));
  const deliver = buildDeliver({
    webhookUrl: 'http://respond.test/custom/channel/webhook/',
    channel: { channelId: 'chan-1', token: TOKEN },
    fetch: (async (url: string, init: RequestInit) => {
      requests.push({ url, init });
      return answer();
    }) as typeof fetch,
    now: () => Date.parse('2026-01-01T00:00:00Z'),
    timeoutMs: 1000,
    exchanges: feed,
  });
  return { deliver: () => deliver([entry], new AbortController().signal), requests, records };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

it('posts one event per request in respond.io shape, with the channel token, and records it masked', async () => {
  const { deliver, requests, records } = harness(() => json(200, { status: 'ok' }));
  expect(await deliver()).toEqual({ ok: true });
  expect(requests[0].url).toBe('http://respond.test/custom/channel/webhook/');
  expect((requests[0].init.headers as Record<string, string>).authorization).toBe(`Bearer ${TOKEN}`);
  expect(JSON.parse(String(requests[0].init.body))).toEqual({
    channelId: 'chan-1',
    contactId: '+60177872890',
    events: [entry.item.event],
    contact: { firstName: 'Aisha' },
  });
  expect(records[0]).toMatchObject({
    leg: 'respondio',
    direction: 'out',
    status: 200,
    mId: 'm-1',
    contactId: '+60177872890',
    messageType: 'status:read',
  });
  expect(records[0].requestHeaders.authorization).not.toContain(TOKEN.slice(4, -2));
});

it('classifies answers: 429 pauses the channel for Retry-After, 5xx and network errors retry, other 4xx dead-letter', async () => {
  expect(await harness(() => json(429, {}, { 'retry-after': '3' })).deliver()).toMatchObject({
    ok: false,
    retry: true,
    channelWide: true,
    retryAfterMs: 3000,
  });
  expect(await harness(() => json(503, { error: { message: 'busy' } })).deliver()).toEqual({
    ok: false,
    retry: true,
    error: 'respond.io answered 503: busy',
  });
  const dead = await harness(() => json(400, { error: { message: 'contactId: must be E.164' } })).deliver();
  expect(dead).toEqual({ ok: false, retry: false, error: 'respond.io answered 400: contactId: must be E.164' });
  const down = harness(() => Promise.reject(new TypeError('fetch failed')));
  expect(await down.deliver()).toEqual({ ok: false, retry: true, error: 'respond.io unreachable: fetch failed' });
  expect(down.records[0]).toMatchObject({ status: 0, error: 'respond.io unreachable: fetch failed' });
});
