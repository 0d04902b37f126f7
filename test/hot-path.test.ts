/**
 * The bridge's hot-path shortcuts keep the behaviour of the long way: the hand-checked text
 * message answers exactly as the schema does, request lines are one per request (debug for a
 * success, info for a refusal), and `/message` metrics filled at scrape time read as if
 * prom-client had counted each answer, and the quick yes for usual webhook events is never a
 * yes the schema would refuse.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { defineAdapter } from '../src/bridge/adapter.js';
import { flatten } from '../src/bridge/body.js';
import { buildBridge } from '../src/bridge/index.js';
import { newSendId } from '../src/bridge/message-route.js';
import { createBridgeMetrics } from '../src/bridge/metrics.js';
import { MessageRequestSchema, parseMessageRequest } from '../src/contract/message-endpoint.js';
import { WebhookBodySchema } from '../src/contract/webhook.js';
import { isPlainWebhookEvent } from '../src/contract/webhook-fast.js';
import { SeenWindow } from '../src/outbox/state.js';
import { buildTestAdapter, WEBHOOK } from './support/bridge-adapter.js';
import { useCleanups } from './support/cleanups.js';

const defer = useCleanups('each');
const TOKEN = 'tok_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH';
const text = (extra: Record<string, unknown> = {}) => ({ type: 'text', text: 'hello', ...extra });
const body = (extra: Record<string, unknown> = {}) => ({
  channelId: 'c',
  contactId: '+60177872890',
  message: text(),
  ...extra,
});

describe('parseMessageRequest', () => {
  it.each([
    ['a text message', body()],
    ['an empty channelId', body({ channelId: '' })],
    ['a numeric contactId', body({ contactId: 60177872890 })],
    ['a 50-character contactId', body({ contactId: 'x'.repeat(50) })],
    ['a 51-character contactId', body({ contactId: 'x'.repeat(51) })],
    ['an extra key', body({ sender: 'x' })],
    ['an empty text', body({ message: text({ text: '' }) })],
    ['a text with an extra key', body({ message: text({ mId: 'x' }) })],
    ['a missing text', body({ message: { type: 'text' } })],
    ['an attachment', body({ message: { type: 'attachment', attachment: { type: 'image', url: 'https://x/y.png' } } })],
    ['an array', [body()]],
    [
      'a __proto__ key',
      JSON.parse('{"channelId":"c","contactId":"1","message":{"type":"text","text":"x"},"__proto__":{}}'),
    ],
    ['null', null],
  ])('answers %s as the schema does', (_name, input) => {
    const fast = parseMessageRequest(input);
    const schema = MessageRequestSchema.safeParse(input);
    expect(fast.success).toBe(schema.success);
    if (fast.success && schema.success) expect(JSON.stringify(fast.data)).toBe(JSON.stringify(schema.data));
    else expect(fast.error?.issues).toEqual(schema.error?.issues);
  });
});

describe('request lines', () => {
  it('writes one line per request: debug for a success, info for a refusal', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hot-path-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    const run = async (level: string) => {
      const lines: Array<Record<string, unknown>> = [];
      const app = buildBridge({
        adapter: buildTestAdapter(),
        channel: { channelId: 'c', token: TOKEN, idType: 'phone' },
        respondio: { webhookUrl: 'http://127.0.0.1:9/' },
        stateDir: join(dir, level),
        logger: { level, stream: { write: (line: string) => lines.push(JSON.parse(line)) } },
      });
      defer(() => app.close());
      await app.ready();
      lines.length = 0;
      const ok = await app.inject({
        method: 'POST',
        url: '/message',
        headers: { authorization: `Bearer ${TOKEN}` },
        payload: body(),
      });
      const refused = await app.inject({
        method: 'POST',
        url: '/message',
        headers: { authorization: 'Bearer nope' },
        payload: body(),
      });
      expect([ok.statusCode, refused.statusCode]).toEqual([200, 401]);
      return lines.filter((line) => typeof line.reqId === 'string');
    };
    const debug = await run('debug');
    expect(debug.map((l) => [l.level, l.msg, (l.res as { statusCode: number }).statusCode])).toEqual([
      [20, 'request completed', 200],
      [30, 'request completed', 401],
    ]);
    expect(debug[0].req).toMatchObject({ method: 'POST', url: '/message' });
    expect(debug[0].reqId).not.toBe(debug[1].reqId);
    const info = await run('info');
    expect(info.map((l) => [l.level, (l.res as { statusCode: number }).statusCode])).toEqual([[30, 401]]);
  });

  it('writes the same lines for the other routes and for /message errors Fastify raises; app.log is the bridge log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hot-path-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    const lines: Array<Record<string, unknown>> = [];
    const app = buildBridge({
      adapter: buildTestAdapter(),
      channel: { channelId: 'c', token: TOKEN, idType: 'phone' },
      respondio: { webhookUrl: 'http://127.0.0.1:9/' },
      stateDir: dir,
      logger: { level: 'debug', stream: { write: (line: string) => lines.push(JSON.parse(line)) } },
    });
    defer(() => app.close());
    await app.ready();
    app.log.info({ marker: 1 }, 'from app.log');
    expect(lines.find((l) => l.msg === 'from app.log')).toMatchObject({ level: 30, marker: 1 });
    lines.length = 0;
    const unsigned = await app.inject({ method: 'POST', url: WEBHOOK, payload: { from: '+60177872890' } });
    const health = await app.inject({ method: 'GET', url: '/health' });
    const tooLarge = await app.inject({
      method: 'POST',
      url: '/message',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ ...body(), message: text({ text: 'x'.repeat(2_000_000) }) }),
    });
    expect([unsigned.statusCode, health.statusCode, tooLarge.statusCode]).toEqual([401, 200, 413]);
    const requestLines = lines.filter((l) => l.msg === 'request completed');
    expect(
      requestLines.map((l) => [l.level, (l.req as { url: string }).url, (l.res as { statusCode: number }).statusCode]),
    ).toEqual([
      [30, WEBHOOK, 401],
      [20, '/health', 200],
      [30, '/message', 413],
    ]);
    expect(requestLines[0].responseTime).toBeGreaterThan(0);
  });
});

describe('/message metrics counted lazily', () => {
  it('time each answer with or without a logger (Fastify keeps no clock when it has none)', async () => {
    const slow = defineAdapter({
      name: 'slow',
      capabilities: { messageTypes: ['text'], statuses: ['sent'] },
      async send() {
        await new Promise((resolve) => setTimeout(resolve, 40));
        return { mId: 'p-1' };
      },
      webhooks: [],
    });
    for (const logger of [false, { level: 'info', stream: { write() {} } }] as const) {
      const dir = await mkdtemp(join(tmpdir(), 'hot-path-'));
      defer(() => rm(dir, { recursive: true, force: true }));
      const app = buildBridge({
        adapter: slow,
        channel: { channelId: 'c', token: TOKEN, idType: 'phone' },
        respondio: { webhookUrl: 'http://127.0.0.1:9/custom/channel/webhook/' },
        stateDir: dir,
        logger,
      });
      defer(() => app.close());
      const headers = { authorization: `Bearer ${TOKEN}` };
      const answer = await app.inject({ method: 'POST', url: '/message', headers, payload: body() });
      expect(answer.statusCode).toBe(200);
      const scrape = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      const sum = /custom_channel_message_duration_seconds_sum\{adapter="slow",outcome="sent"\} (\S+)/.exec(scrape);
      expect(Number(sum?.[1]), `logger ${logger ? 'on' : 'off'}`).toBeGreaterThanOrEqual(0.035);
    }
  });

  it('scrape the same counts, buckets and sums as prom-client observing each answer', async () => {
    const metrics = createBridgeMetrics({ outboxStats: () => undefined, process: false });
    const reference = new Registry();
    const counter = new Counter({
      name: 'ref_requests',
      help: 'x',
      labelNames: ['adapter', 'outcome'],
      registers: [reference],
    });
    const histogram = new Histogram({
      name: 'ref_duration',
      help: 'x',
      labelNames: ['adapter', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [reference],
    });
    const answers: Array<[string, number, number]> = [
      ['a', 200, 3],
      ['a', 200, 5],
      ['a', 401, 0.2],
      ['b', 503, 12_000],
      ['a', 200, 260],
    ];
    const strip = (text: string, name: string, ref: string) =>
      text
        .split('\n')
        .filter((line) => line.startsWith(name))
        .map((line) => line.replace(name, ref))
        .join('\n');
    for (const [round, slice] of [answers.slice(0, 3), answers.slice(3)].entries()) {
      for (const [adapter, status, ms] of slice) {
        metrics.recordMessage(adapter, status, ms);
        const labels = { adapter, outcome: status < 400 ? 'sent' : status < 500 ? 'refused' : 'failed' };
        counter.inc(labels);
        histogram.observe(labels, ms / 1000);
      }
      const ours = await metrics.render();
      const theirs = await reference.metrics();
      expect(strip(theirs, 'ref_duration', 'ref_duration')).toContain('ref_duration_bucket{le="0.005",adapter="a"');
      expect(strip(ours, 'custom_channel_message_requests_total', 'ref_requests'), `round ${round}`).toBe(
        strip(theirs, 'ref_requests', 'ref_requests'),
      );
      expect(strip(ours, 'custom_channel_message_duration_seconds', 'ref_duration')).toBe(
        strip(theirs, 'ref_duration', 'ref_duration'),
      );
    }
  });
});

describe('isPlainWebhookEvent', () => {
  const message = { type: 'message', mId: 'm-1', timestamp: 1767225600000, message: { type: 'text', text: 'hi' } };
  const status = { type: 'message_status', mId: 'm-1', timestamp: 1767225600000, status: { value: 'read' } };
  it.each([
    ['a text message', message, undefined, true],
    ['a text message with a name', message, { firstName: 'Aisha', lastName: 'Rahman' }, true],
    ['a status', status, undefined, true],
    ['a status with a message', { ...status, status: { value: 'failed', message: 'gone' } }, undefined, true],
    ['an unknown status', { ...status, status: { value: 'seen' } }, undefined, false],
    ['a status message of undefined', { ...status, status: { value: 'read', message: undefined } }, undefined, false],
    ['seconds as a float', { ...message, timestamp: 1767225600.5 }, undefined, false],
    ['a 51-character mId', { ...message, mId: 'x'.repeat(51) }, undefined, false],
    ['an empty text', { ...message, message: { type: 'text', text: '' } }, undefined, false],
    ['an extra event key', { ...message, extra: 1 }, undefined, false],
    [
      'an attachment',
      { ...message, message: { type: 'attachment', attachment: { type: 'image', url: 'https://x/y.png' } } },
      undefined,
      false,
    ],
    ['a contact with an email', message, { email: 'a@b.co' }, false],
    ['a contact name that is a number', message, { firstName: 1 }, false],
  ])('%s: quick yes only when the schema agrees', (_name, event, contact, quick) => {
    const yes = isPlainWebhookEvent('ch', '+60177872890', event, contact);
    expect(yes).toBe(quick);
    const body: Record<string, unknown> = { channelId: 'ch', contactId: '+60177872890', events: [event] };
    if (contact !== undefined) body.contact = contact;
    if (yes) expect(WebhookBodySchema.safeParse(body).success).toBe(true);
  });
});

describe('flatten (headers and query, per webhook request)', () => {
  it('keeps strings, joins repeated values, stringifies the rest, skips undefined and inherited names', () => {
    const headers = Object.assign(Object.create({ inherited: 'no' }), {
      'content-type': 'application/json',
      'set-cookie': ['a=1', 'b=2'],
      'x-count': 3,
      'x-missing': undefined,
    });
    expect(flatten(headers)).toEqual({ 'content-type': 'application/json', 'set-cookie': 'a=1, b=2', 'x-count': '3' });
    expect(flatten(Object.create(null))).toEqual({});
  });
});

describe('newSendId (a bridge mId without a CSPRNG call per send)', () => {
  it('gives distinct UUID-shaped ids after cc-, v4 version and variant kept', () => {
    const ids = Array.from({ length: 5000 }, () => newSendId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids)
      expect(id).toMatch(/^cc-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // One process's ids share its random prefix and count up in their last 8 hex digits.
    const [a, b] = [newSendId(), newSendId()];
    expect(b.slice(0, -8)).toBe(a.slice(0, -8));
    expect(Number.parseInt(b.slice(-8), 16) - Number.parseInt(a.slice(-8), 16)).toBe(1);
  });
});

describe('SeenWindow', () => {
  it('addIfNew keeps the window bounded, forgets the oldest first, and tells a new key from a seen one', () => {
    const viaAdd = new SeenWindow(3);
    const viaUnseen = new SeenWindow(3);
    const fresh: boolean[] = [];
    for (const key of ['a', 'b', 'c', 'b', 'd', 'e']) {
      viaAdd.add(key);
      fresh.push(viaUnseen.addIfNew(key));
    }
    expect(fresh).toEqual([true, true, true, false, true, true]);
    expect([...viaUnseen.keys()]).toEqual(['c', 'd', 'e']);
    expect([...viaUnseen.keys()]).toEqual([...viaAdd.keys()]);
    expect(viaUnseen.has('b')).toBe(false);
    expect(viaUnseen.count).toBe(3);
  });
});
