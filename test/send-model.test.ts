import { describe, expect, it } from 'vitest';
import type { Exchange } from '../src/exchange.js';
import { parseDuration } from '../src/send/duration.js';
import { contactIdentifier } from '../src/send/live.js';
import { buildSendMessage } from '../src/send/message.js';
import { analyzeStatuses, describeAnalysis, parseExpect, type StatusObservation } from '../src/send/statuses.js';
import { buildHops } from '../src/send/timeline.js';
import { createReporter } from '../src/ui/output.js';
import { renderHop, renderProgress, renderStatusFlow } from '../src/ui/timeline.js';

const s = (value: StatusObservation['value'], source: StatusObservation['source'] = 'callback', message?: string) => ({
  value,
  at: 0,
  source,
  message,
});

describe('durations', () => {
  it.each([
    ['3s', 3000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['250', 250],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', 'soon', '3h', '-1s'])('rejects %j', (text) =>
    expect(() => parseDuration(text)).toThrow(/not a duration/),
  );
  it.each([
    ['0', '--timeout', undefined, '--timeout 0: out of range (1ms to 30m)'],
    ['31m', '--timeout', undefined, '--timeout 31m: out of range (1ms to 30m)'],
    ['6m', '--event-wait', { minMs: 0, maxMs: 300_000 }, '--event-wait 6m: out of range (0ms to 5m)'],
  ])('%s for %s says the range', (text, flag, range, message) => {
    expect(() => parseDuration(text, flag, range)).toThrow(message);
  });
  it('accepts the ends of the range', () => {
    expect(parseDuration('0', '--event-wait', { minMs: 0, maxMs: 300_000 })).toBe(0);
    expect(parseDuration('30m')).toBe(1_800_000);
  });
});

describe('--expect', () => {
  it('parses a comma list and refuses unknown statuses', () => {
    expect(parseExpect('sent, delivered,read')).toEqual(['sent', 'delivered', 'read']);
    expect(() => parseExpect('sent,seen')).toThrow(/unknown status seen/);
  });
});

describe('status analysis', () => {
  const expectRead = ['sent', 'delivered', 'read'] as const;

  it('passes the normal flow', () => {
    const a = analyzeStatuses([s('sent', 'response'), s('sent'), s('delivered'), s('read')], [...expectRead]);
    expect(a).toMatchObject({ ok: true, missing: [], outOfOrder: false, duplicates: [], regressions: [] });
  });

  it('accepts and reports out of order', () => {
    const a = analyzeStatuses([s('sent', 'response'), s('read'), s('delivered')], [...expectRead]);
    expect(a.ok).toBe(true);
    expect(a.outOfOrder).toBe(true);
    expect(describeAnalysis(a)).toContain('out of order (accepted): the provider reported read -> delivered');
  });

  it('names missing statuses', () => {
    const a = analyzeStatuses([s('sent', 'response')], [...expectRead]);
    expect(a.ok).toBe(false);
    expect(describeAnalysis(a)).toEqual(['missing: delivered, read (never arrived)']);
  });

  it('reports duplicates and regressions', () => {
    const a = analyzeStatuses([s('sent', 'response'), s('delivered'), s('read'), s('delivered')], [...expectRead]);
    expect(a.ok).toBe(true);
    expect(a.duplicates).toEqual(['delivered']);
    expect(a.regressions).toEqual(['delivered after read']);
    expect(analyzeStatuses([s('failed', 'callback', 'x'), s('read')], ['failed']).regressions).toEqual([
      'read after failed',
    ]);
  });

  it('failed passes --expect failed with its reason and fails a success expectation', () => {
    const history = [s('sent', 'response'), s('failed', 'callback', 'number unreachable')];
    expect(analyzeStatuses(history, ['failed'])).toMatchObject({ ok: true, failedReason: 'number unreachable' });
    const a = analyzeStatuses(history, [...expectRead]);
    expect(a.ok).toBe(false);
    expect(describeAnalysis(a)[1]).toBe('failed: number unreachable (expected sent, delivered, read)');
  });
});

describe('timeline hops', () => {
  const base = { requestHeaders: {}, method: 'POST', latencyMs: 4, status: 200 } as const;
  const exchanges: Exchange[] = [
    {
      ...base,
      id: 3,
      time: 1030,
      leg: 'provider',
      direction: 'in',
      url: '/webhooks/provider',
      requestBody: { kind: 'status', messageId: 'p-1', status: 'delivered' },
    },
    {
      ...base,
      id: 1,
      time: 1000,
      leg: 'respondio',
      direction: 'in',
      url: '/message',
      messageType: 'text',
      responseBody: { mId: 'p-1' },
    },
    {
      ...base,
      id: 2,
      time: 1010,
      leg: 'provider',
      direction: 'out',
      url: 'http://p/v1/messages',
      requestBody: { type: 'text' },
      responseBody: { id: 'p-1' },
    },
    {
      ...base,
      id: 4,
      time: 1040,
      leg: 'respondio',
      direction: 'out',
      url: 'http://e/custom/channel/webhook/',
      requestBody: { events: [{ type: 'message_status', mId: 'p-1', status: { value: 'delivered' } }] },
    },
    { ...base, id: 5, time: 1050, leg: 'respondio', direction: 'in', url: '/message', responseBody: { mId: 'p-2' } },
  ];

  it('orders the hops of one message and labels each leg', () => {
    const hops = buildHops(exchanges, 'p-1', 1000);
    expect(hops.map((h) => `${h.at} ${h.from}->${h.to} ${h.label}`)).toEqual([
      '0 respond.io->bridge POST /message (text)',
      '10 bridge->provider send text',
      '30 provider->bridge status delivered',
      '40 bridge->respond.io message_status delivered',
    ]);
  });
});

describe('message from flags', () => {
  it.each([
    [{ text: 'Hi' }, { type: 'text', text: 'Hi' }],
    [
      { text: 'Pick', replies: 'Yes, No' },
      { type: 'quick_reply', title: 'Pick', replies: ['Yes', 'No'] },
    ],
    [
      { attachment: 'https://e.com/a/photo.JPG?x=1' },
      {
        type: 'attachment',
        attachment: { type: 'image', url: 'https://e.com/a/photo.JPG?x=1', fileName: 'photo.JPG' },
      },
    ],
    [
      { attachment: 'https://e.com/doc.pdf' },
      { type: 'attachment', attachment: { type: 'file', url: 'https://e.com/doc.pdf', fileName: 'doc.pdf' } },
    ],
    [
      { location: '3.1,101.6', text: 'KL' },
      { type: 'location', latitude: 3.1, longitude: 101.6, address: 'KL' },
    ],
  ])('builds %j', (input, message) => {
    expect(buildSendMessage(input)).toEqual(message);
  });

  it('names what is missing as a usage error', () => {
    expect(() => buildSendMessage({})).toThrow(/cannot build a text message: message\.text|text: must not be empty/);
    expect(() => buildSendMessage({ type: 'image' })).toThrow(/attachment\.url/);
  });

  it('maps --to to a Developer API identifier', () => {
    expect(contactIdentifier('+60177872890')).toBe('phone:+60177872890');
    expect(contactIdentifier('a@b.co')).toBe('email:a@b.co');
    expect(contactIdentifier('42')).toBe('phone:+42');
    expect(contactIdentifier('id:42')).toBe('id:42');
    expect(() => contactIdentifier('bob')).toThrow(/not a Developer API contact identifier/);
  });
});

describe('rendering (no colour)', () => {
  const style = createReporter({ json: false, verbose: false, color: false }).style;

  it('shows the status flow once per fact, with the failure reason', () => {
    const flow = renderStatusFlow(
      [
        { value: 'sent', at: 1010, source: 'response' },
        { value: 'sent', at: 1050, source: 'callback' },
        { value: 'failed', at: 1200, source: 'callback', message: 'unreachable' },
      ],
      1000,
      style,
    );
    expect(flow).toBe('sent (+10 ms) → failed: unreachable (+200 ms)');
  });

  it('renders a hop and a progress bar', () => {
    const hop = renderHop(
      { at: 12, from: 'respond.io', to: 'bridge', label: 'POST /message', status: 200, latencyMs: 4, ok: true },
      style,
    );
    expect(hop).toMatch(/✓ \+12 ms\s+respond\.io → bridge\s+POST \/message\s+200 4 ms/);
    expect(renderProgress(2, 4, 'x', style, 8)).toBe('[2/4] ████░░░░ x');
  });
});
