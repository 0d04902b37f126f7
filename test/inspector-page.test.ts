/** The page's pure helpers (what the chat shows in words), without a browser. */
import { describe, expect, it } from 'vitest';
import type { Bubble } from '../src/inspector/model-types.js';
import { describeRequest, formatMs, legLabel } from '../src/inspector/page/exchanges.js';
import { bubbleMatches, type PageState, preview, visibleConversations } from '../src/inspector/page/render.js';

const bubble = (over: Partial<Bubble>): Bubble => ({
  key: 'k',
  kind: 'outbound',
  contactId: '+1',
  time: 1,
  statuses: [],
  anomalies: [],
  exchanges: [],
  ...over,
});

describe('page helpers', () => {
  it.each([
    [{ type: 'text', text: 'Hi' }, 'Hi'],
    [
      { type: 'attachment', attachment: { type: 'image', url: 'https://x.test/a.png' } },
      '[image] https://x.test/a.png',
    ],
    [{ type: 'location', latitude: 3.1, longitude: 101.6 }, '[location] 3.1, 101.6'],
    [{ type: 'quick_reply', title: 'Rate us', replies: ['1'] }, '[quick reply] Rate us'],
    [{ type: 'custom_payload', payload: {} }, '[custom payload]'],
  ])('previews %o as %s', (message, text) => {
    expect(preview(message)).toBe(text);
  });

  it.each([
    [{ requestBody: { events: [{ type: 'message_status', status: { value: 'read' } }] } }, 'status read'],
    [
      {
        requestBody: {
          events: [
            { type: 'message', message: { type: 'text' } },
            { type: 'message_echo', message: {} },
          ],
        },
      },
      'message text, message_echo',
    ],
    [{ requestBody: { kind: 'status', status: 'delivered' } }, 'status delivered'],
    [{ requestBody: { channelId: 'c', contactId: '+1', message: { type: 'quick_reply' } } }, 'quick_reply'],
    [{ requestBody: { to: '+1', type: 'buttons' } }, 'buttons'],
    [{ requestBody: 'raw text' }, undefined],
  ])('describes %o as %s', (exchange, text) => {
    expect(describeRequest(exchange)).toBe(text);
  });

  it('formats latency and legs', () => {
    expect([formatMs(0.37001), formatMs(8), formatMs(41.6)]).toEqual(['0.4 ms', '8 ms', '42 ms']);
    expect(legLabel({ leg: 'provider', direction: 'in' })).toBe('provider → bridge');
    expect(legLabel({ leg: 'respondio', direction: 'out' })).toBe('bridge → respond.io');
  });

  it('filters bubbles by type and status, conversations by contact or name', () => {
    const read = bubble({ status: 'read', message: { type: 'text' } });
    const odd = bubble({ status: 'sent', anomalies: ['x'], message: { type: 'quick_reply' } });
    const inbound = bubble({ kind: 'inbound', message: { type: 'text' } });
    const filters = (f: Partial<PageState['filters']>) => ({ contact: '', type: '', status: '', ...f });
    expect([read, odd, inbound].map((b) => bubbleMatches(b, filters({ status: 'read' })))).toEqual([
      true,
      false,
      false,
    ]);
    expect([read, odd, inbound].map((b) => bubbleMatches(b, filters({ status: 'anomaly' })))).toEqual([
      false,
      true,
      false,
    ]);
    expect([read, odd, inbound].map((b) => bubbleMatches(b, filters({ type: 'text' })))).toEqual([true, false, true]);
    const state = {
      entries: new Map(),
      open: new Set<string>(),
      filters: filters({ contact: 'aisha' }),
      view: {
        unmatched: [],
        conversations: [
          { contactId: '+60', name: 'Aisha Rahman', bubbles: [read], notes: [], lastTime: 2, anomalyCount: 0 },
          { contactId: '+44', bubbles: [odd], notes: [], lastTime: 1, anomalyCount: 1 },
        ],
      },
    } satisfies PageState;
    expect(visibleConversations(state).map((c) => c.contactId)).toEqual(['+60']);
    state.filters = filters({ status: 'anomaly' });
    expect(visibleConversations(state).map((c) => c.contactId)).toEqual(['+44']);
  });
});
