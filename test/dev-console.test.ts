/** Pure parts of dev: flag parsing, the banner model and the console lines (rendered without colour). */
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { buildBanner } from '../src/dev/banner.js';
import type { DevEvent } from '../src/dev/events.js';
import { parseDevFlags } from '../src/dev/options.js';
import { renderDevEvent } from '../src/dev/run.js';
import type { Exchange } from '../src/exchange.js';
import { formatBanner, formatExchangeLine } from '../src/ui/dev-console.js';
import { createReporter } from '../src/ui/output.js';

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
    [{ canaryInterval: '0' }, /--canary-interval: 0 is not a number of seconds from 0\.1 to 3600/],
    [{ inspectorPort: '70000' }, /--inspector-port: not a port number: 70000/],
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

describe('rendering dev events', () => {
  function capture(json: boolean) {
    let out = '';
    let err = '';
    const stream = (append: (text: string) => void) =>
      ({
        write: (text: string) => {
          append(text);
          return true;
        },
      }) as unknown as NodeJS.WritableStream;
    const reporter = createReporter({
      json,
      verbose: false,
      color: false,
      stdout: stream((t) => {
        out += t;
      }),
      stderr: stream((t) => {
        err += t;
      }),
    });
    return { reporter, out: () => out, err: () => err };
  }
  const events: DevEvent[] = [
    { type: 'tunnel', event: { type: 'open-failed', attempt: 1, error: 'connect ECONNREFUSED', retryInMs: 500 } },
    { type: 'tunnel', event: { type: 'down', url: 'https://a.loca.lt', reason: 'canary: HTTP 504 (2 in a row)' } },
    { type: 'tunnel', event: { type: 'canary-ok', url: 'https://a.loca.lt', latencyMs: 12 } },
    { type: 'reload', ok: false, error: 'cannot load adapter: Unexpected token' },
  ];

  it('prints one human line per notable event and skips routine ones', () => {
    const { reporter, out } = capture(false);
    for (const event of events) renderDevEvent(event, reporter);
    const lines = out().trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/tunnel: connect ECONNREFUSED; retrying in 0\.5 s$/);
    expect(lines[1]).toMatch(/tunnel down \(canary: HTTP 504 \(2 in a row\)\); opening a new one$/);
    expect(lines[2]).toMatch(/adapter edit not loaded, still serving the previous one: cannot load adapter/);
  });

  it('prints NDJSON only in --json mode', () => {
    const { reporter, out } = capture(true);
    for (const event of events) renderDevEvent(event, reporter);
    const lines = out()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual(events);
  });
});
