import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { parseEmulateFlags } from '../src/emulator/run.js';
import type { EmulatorEvent } from '../src/emulator/types.js';
import { renderEvent } from '../src/ui/emulator-events.js';

const plain = new Chalk({ level: 0 });
const base = { seq: 1, time: Date.UTC(2026, 0, 1, 12, 0, 0, 5) };
const exchange = {
  id: 1,
  time: base.time,
  leg: 'respondio' as const,
  direction: 'in' as const,
  method: 'POST',
  url: 'http://127.0.0.1:3000/message',
  status: 400,
  latencyMs: 12,
  requestHeaders: {},
  error: 'provider rejected the number',
};

describe('emulate console lines', () => {
  it.each<[EmulatorEvent, string]>([
    [
      {
        ...base,
        type: 'webhook.rejected',
        contactId: '+601',
        status: 400,
        message: 'x',
        problems: [{ path: 'events[0].mId', message: 'is required' }],
        exchange,
      },
      '12:00:00.005 webhook 400 +601 events[0].mId: is required',
    ],
    [
      { ...base, type: 'outgoing.response', contactId: '+601', messageId: 3, exchange },
      '12:00:00.005 POST /message +601 #3 400 provider rejected the number 12 ms',
    ],
    [
      {
        ...base,
        type: 'message.status',
        messageId: 3,
        status: { value: 'read' },
        previous: 'delivered',
        source: 'webhook',
      },
      '12:00:00.005 status #3 delivered -> read',
    ],
  ])('renders %#', (event, line) => {
    expect(renderEvent(event, plain)).toBe(line);
  });

  it('names the anomaly and says it is undocumented', () => {
    const anomaly = {
      kind: 'unknown-mid' as const,
      message: 'status "read" for unknown mId "x"; ignored',
      note: "respond.io's own behaviour here is undocumented",
      time: base.time,
      channelId: 'c',
    };
    expect(renderEvent({ ...base, type: 'anomaly', anomaly, message: anomaly.message }, plain)).toBe(
      `12:00:00.005 anomaly unknown-mid: ${anomaly.message} (${anomaly.note})`,
    );
    expect(renderEvent({ ...base, type: 'outgoing.request', exchange }, plain)).toBeUndefined();
  });
});

describe('parseEmulateFlags', () => {
  it('turns flags into typed input with defaults', () => {
    expect(parseEmulateFlags({ port: '0', idType: 'custom', force5xx: '502', rateLimit: false })).toMatchObject({
      port: 0,
      host: '127.0.0.1',
      idType: 'custom',
      force5xx: 502,
      rateLimit: false,
      failureRate: 0,
      showSecrets: false,
    });
    expect(parseEmulateFlags({ force5xx: true }).force5xx).toBe(true);
    expect(parseEmulateFlags({ maxMessages: '500' }).maxMessages).toBe(500);
  });

  it.each([
    [{ port: '70000' }, /^--port 70000: must be 0\.\.65535/],
    [{ apiBaseUrl: 'ftp://x' }, /--api-base-url/],
    [{ force5xx: '404' }, /^--force-5xx 404: must be 500\.\.599$/],
    [{ messageTimeout: '0' }, /^--message-timeout 0: must be 1 or more/],
    [{ failureRate: '3' }, /^--failure-rate 3: must be 0\.\.1/],
    [{ latency: '-1' }, /^--latency -1: must be 0 or more/],
    [{ maxMessages: '0' }, /--max-messages/],
  ])('rejects %o as a usage error', (flags, message) => {
    expect(() => parseEmulateFlags(flags)).toThrow(message);
    try {
      parseEmulateFlags(flags);
    } catch (error) {
      expect((error as { exitCode: number }).exitCode).toBe(2);
    }
  });
});
