/** Pure parts of dev: flag parsing, the banner model and the console lines (rendered without colour). */
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { buildBanner } from '../src/dev/banner.js';
import { parseDevFlags } from '../src/dev/options.js';
import type { Exchange } from '../src/exchange.js';
import { formatBanner, formatExchangeLine } from '../src/ui/dev-console.js';

const plain = new Chalk({ level: 0 });
const token = 'tok_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH';

describe('dev flags', () => {
  it.each([
    [{}, { port: 3000, host: '127.0.0.1', tunnel: { kind: 'localtunnel' }, canaryIntervalMs: 20_000 }],
    [
      { port: '0', tunnel: false },
      { port: 0, tunnel: { kind: 'none' } },
    ],
    [
      { tunnelHost: 'http://127.0.0.1:4000/', subdomain: 'acme-dev' },
      { tunnel: { kind: 'localtunnel', host: 'http://127.0.0.1:4000', subdomain: 'acme-dev' } },
    ],
    [{ tunnelUrl: 'https://abc.ngrok.app/' }, { tunnel: { kind: 'url', url: 'https://abc.ngrok.app' } }],
    [
      { canaryInterval: '0.5', emulator: true },
      { canaryIntervalMs: 500, forceEmulator: true },
    ],
  ])('%j', (flags, expected) => {
    expect(parseDevFlags(flags)).toMatchObject(expected);
  });

  it.each([
    [{ port: 'x' }, /--port/],
    [{ port: '70000' }, /--port/],
    [{ subdomain: 'No_Way' }, /--subdomain/],
    [{ tunnel: false, subdomain: 'acme-dev' }, /--no-tunnel cannot be combined/],
    [{ tunnelUrl: 'https://a.example', tunnelHost: 'https://b.example' }, /--tunnel-url cannot be combined/],
    [{ tunnelHost: 'localhost:4000' }, /--tunnel-host: not an http/],
    [{ tunnelUrl: 'nope' }, /--tunnel-url: not a URL/],
    [{ canaryInterval: '0' }, /--canary-interval/],
  ])('%j is a usage error', (flags, message) => {
    expect(() => parseDevFlags(flags)).toThrow(message);
    try {
      parseDevFlags(flags);
    } catch (error) {
      expect((error as { exitCode: number }).exitCode).toBe(2);
    }
  });
});

describe('banner', () => {
  const base = {
    adapterName: 'acme',
    bridgeUrl: 'http://127.0.0.1:3000',
    channelId: 'ch_1',
    token,
    webhookPaths: ['/webhooks/provider'],
  };

  it('gives respond.io the public URL, the masked token and the real webhook URL', () => {
    const banner = buildBanner({
      ...base,
      mode: 'respondio',
      publicUrl: 'https://quiet-fox.loca.lt',
      tokenSource: 'env',
      webhookUrl: 'https://webhook.respond.io/custom/channel/webhook/',
    });
    expect(banner).toMatchObject({
      apiBaseUrl: 'https://quiet-fox.loca.lt',
      messageUrl: 'https://quiet-fox.loca.lt/message',
      localOnly: false,
      token: 'tok_…GH',
      providerWebhooks: ['https://quiet-fox.loca.lt/webhooks/provider'],
    });
    const text = formatBanner(banner, plain).join('\n');
    expect(text).toContain('API Base URL      https://quiet-fox.loca.lt');
    expect(text).toContain('Webhook URL       https://webhook.respond.io/custom/channel/webhook/');
    expect(text).toContain('tok_…GH (from env;');
    expect(text).not.toContain(token);
  });

  it('falls back to the local bridge without a tunnel and says so', () => {
    const banner = buildBanner({
      ...base,
      mode: 'emulator',
      tokenSource: 'emulator',
      webhookUrl: 'http://127.0.0.1:4100/custom/channel/webhook/',
      emulatorUrl: 'http://127.0.0.1:4100',
    });
    expect(banner.apiBaseUrl).toBe('http://127.0.0.1:3000');
    const text = formatBanner(banner, plain).join('\n');
    expect(text).toContain('reachable from this machine only');
    expect(text).toContain('Emulator          http://127.0.0.1:4100/_emulator/');
  });
});

describe('exchange lines', () => {
  const exchange: Exchange = {
    id: 1,
    time: Date.UTC(2026, 0, 1, 12, 0, 1),
    leg: 'respondio',
    direction: 'in',
    method: 'POST',
    url: '/message',
    status: 200,
    latencyMs: 12.4,
    requestHeaders: {},
    messageType: 'text',
    mId: 'abc',
  };
  it.each([
    [exchange, '12:00:01  respond.io → bridge  POST /message  200  12 ms  text  mId=abc'],
    [
      {
        ...exchange,
        leg: 'provider',
        direction: 'out',
        url: 'http://127.0.0.1:5/v1/messages',
        status: 0,
        error: 'ECONNREFUSED',
        messageType: undefined,
        mId: undefined,
      },
      '12:00:01  bridge → provider    POST /v1/messages  ERR  12 ms  ECONNREFUSED',
    ],
    [
      {
        ...exchange,
        leg: 'respondio',
        direction: 'out',
        url: 'https://webhook.respond.io/custom/channel/webhook/',
        status: 429,
        messageType: 'message_status',
      },
      '12:00:01  bridge → respond.io  POST /custom/channel/webhook/  429  12 ms  message_status  mId=abc',
    ],
  ] as Array<[Exchange, string]>)('%#', (record, line) => {
    expect(formatExchangeLine(record, plain)).toBe(line);
  });
});
