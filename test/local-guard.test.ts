/**
 * Every local server refuses what a web page in the user's browser could send it: a foreign
 * Host (DNS rebinding) or a foreign Origin (CSRF) on its write routes; the inspector's API
 * also wants its session secret. Real servers on loopback, raw HTTP so Host can be forged.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/server.js';
import { startInspector } from '../src/inspector/server.js';
import { buildLocalGuard, hostnameOf, parseAllowedHosts } from '../src/lib/local-guard.js';
import { startMockProvider } from '../src/mock-provider/server.js';
import { startProviderStub } from '../src/provider-stub/server.js';

const templates = join(import.meta.dirname, '../templates');

/** One raw request; `host` replaces the Host header the URL implies. */
function send(
  url: string,
  options: { method?: string; host?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: options.method ?? 'POST',
        headers: {
          host: options.host ?? target.host,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Target {
  name: string;
  /** A write route and a body it would accept (or at least not refuse for Host/Origin reasons). */
  url: string;
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

const closers: Array<() => Promise<unknown>> = [];
const targets: Target[] = [];
let inspector: Awaited<ReturnType<typeof startInspector>>;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cc-guard-'));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  const emulator = await startEmulator({ stateDir: dir, rateLimitPerSecond: false });
  closers.push(() => emulator.close());
  const mock = await startMockProvider();
  closers.push(() => mock.close());
  const stub = await startProviderStub({ root: join(templates, 'telegram-bot'), callbackDelayMs: 0 });
  closers.push(() => stub.close());
  inspector = await startInspector({ emulator, token: () => emulator.channel.token });
  closers.push(() => inspector.close());
  const auth = { authorization: `Bearer ${emulator.channel.token}` };
  targets.push(
    {
      name: 'emulator webhook',
      url: emulator.webhookUrl,
      headers: auth,
      body: { channelId: emulator.channel.channelId, contactId: '+15550001', events: [] },
    },
    { name: 'emulator faults', url: `${emulator.url}/_emulator/faults`, method: 'PUT', body: { latencyMs: 0 } },
    {
      name: 'emulator API Base URL',
      url: `${emulator.url}/_emulator/channels/${emulator.channel.channelId}`,
      method: 'PUT',
      body: { apiBaseUrl: 'http://127.0.0.1:9' },
    },
    {
      name: 'mock provider send',
      url: `${mock.url}/v1/messages`,
      headers: { authorization: `Bearer ${mock.apiKey}` },
      body: { to: '+1555', type: 'text', text: 'hi' },
    },
    {
      name: 'mock provider scenario',
      url: `${mock.url}/_mock/scenario`,
      body: { contactId: '+1555', scenario: 'read' },
    },
    {
      name: 'provider stub send',
      url: `${stub.url}/bot${stub.env.TELEGRAM_BOT_TOKEN}/sendMessage`,
      body: { chat_id: 1, text: 'hi' },
    },
    {
      name: 'inspector compose',
      url: `${inspector.baseUrl}api/compose`,
      headers: { 'x-inspector-token': inspector.secret },
      body: { contactId: '+1555', message: { type: 'text', text: '' } },
    },
    {
      name: 'inspector replay',
      url: `${inspector.baseUrl}api/replay`,
      headers: { 'x-inspector-token': inspector.secret },
      body: { seq: 99 },
    },
  );
});

afterAll(async () => {
  while (closers.length) await closers.pop()?.();
});

describe('local servers', () => {
  it('answer their write routes from loopback, a same-origin page and a program without Origin', async () => {
    for (const target of targets) {
      const plain = await send(target.url, target);
      expect(plain.status, `${target.name}: ${plain.body}`).not.toBe(403);
      expect(plain.status, target.name).not.toBe(401);
      const sameOrigin = await send(target.url, {
        ...target,
        headers: { ...target.headers, origin: new URL(target.url).origin },
      });
      expect([401, 403], target.name).not.toContain(sameOrigin.status);
      const localhost = await send(target.url, { ...target, host: `localhost:${new URL(target.url).port}` });
      expect([401, 403], target.name).not.toContain(localhost.status);
    }
  });

  it('refuse a foreign Host (DNS rebinding) with 403', async () => {
    for (const target of targets) {
      for (const host of ['evil.example', `evil.example:${new URL(target.url).port}`, '127.0.0.1.evil.example']) {
        const answer = await send(target.url, { ...target, host });
        expect(answer.status, `${target.name} Host ${host}`).toBe(403);
        expect(JSON.parse(answer.body).error.message).toMatch(/Host .* refused/);
      }
      // GETs too: a rebound page must not read the API either.
      expect((await send(target.url, { method: 'GET', host: 'evil.example' })).status, target.name).toBe(403);
    }
  });

  it('refuse a cross-origin write (CSRF) with 403', async () => {
    for (const target of targets) {
      const refused: Array<Record<string, string>> = [
        { origin: 'http://evil.example' },
        { origin: 'null' },
        { origin: `http://localhost:${new URL(target.url).port}` },
        { 'sec-fetch-site': 'cross-site' },
      ];
      for (const headers of refused) {
        const answer = await send(target.url, { ...target, headers: { ...target.headers, ...headers } });
        expect(answer.status, `${target.name} ${JSON.stringify(headers)}`).toBe(403);
      }
    }
  });

  it('the inspector API wants the session secret; the URL `dev` prints carries it once, as a cookie', async () => {
    for (const path of ['api/compose', 'api/replay', 'api/entries', 'api/info', 'api/stream']) {
      const method = path === 'api/compose' || path === 'api/replay' ? 'POST' : 'GET';
      const body = method === 'POST' ? { seq: 1 } : undefined;
      const wrong: Array<Record<string, string>> = [
        {},
        { 'x-inspector-token': 'wrong' },
        { authorization: 'Bearer wrong' },
      ];
      for (const headers of wrong) {
        const answer = await send(`${inspector.baseUrl}${path}`, { method, body, headers });
        expect(answer.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(answer.body).toMatch(/session token/);
        expect(answer.body).not.toContain(inspector.secret);
      }
    }
    expect(inspector.url).toBe(`${inspector.baseUrl}?token=${inspector.secret}`);
    const page = await fetch(inspector.url);
    expect(page.status).toBe(200);
    const cookie = page.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const withCookie = await send(`${inspector.baseUrl}api/info`, {
      method: 'GET',
      headers: { cookie: cookie.split(';')[0] },
    });
    expect(withCookie.status).toBe(200);
    // Without the token the page still loads (it says how to get in), but sets no cookie.
    const bare = await fetch(inspector.baseUrl);
    expect(bare.status).toBe(200);
    expect(bare.headers.get('set-cookie')).toBeNull();
  });
});

describe('a name the user allowed', () => {
  it('emulate --allow-host lets a tunnel in front of the emulator through, and nothing else', async () => {
    const { parseEmulateFlags, emulatorOptionsOf } = await import('../src/emulator/run.js');
    const dir = await mkdtemp(join(tmpdir(), 'cc-guard-allow-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const input = parseEmulateFlags({ port: '0', allowHost: ['https://abc.loca.lt'], stateDir: dir });
    const emulator = await startEmulator(await emulatorOptionsOf(input, dir));
    closers.push(() => emulator.close());
    const faults = { method: 'PUT', body: { latencyMs: 0 } };
    expect((await send(`${emulator.url}/_emulator/faults`, { ...faults, host: 'abc.loca.lt' })).status).toBe(200);
    expect((await send(`${emulator.url}/_emulator/faults`, { ...faults, host: 'xyz.loca.lt' })).status).toBe(403);
  });
});

describe('buildLocalGuard', () => {
  it('accepts loopback names, the bound address and configured names; IP literals only on a wildcard bind', () => {
    const table: Array<[Parameters<typeof buildLocalGuard>[0], string, boolean]> = [
      [{}, 'localhost:3001', true],
      [{}, '127.0.0.1', true],
      [{}, '[::1]:3001', true],
      [{}, 'LOCALHOST:1', true],
      [{}, '192.168.1.5:3001', false],
      [{}, '', false],
      [{ allowedHosts: ['abc.loca.lt'] }, 'abc.loca.lt', true],
      [{ allowedHosts: ['https://abc.loca.lt/'] }, 'abc.loca.lt:443', true],
      [{ allowedHosts: ['abc.loca.lt'] }, 'xabc.loca.lt', false],
      [{ host: '192.168.1.5' }, '192.168.1.5:3001', true],
      [{ host: '0.0.0.0' }, '10.0.0.7:3001', true],
      [{ host: '0.0.0.0' }, 'myhost.lan:3001', false],
    ];
    for (const [options, host, allowed] of table) {
      const refusal = buildLocalGuard(options)({ method: 'GET', host });
      expect(refusal === undefined, `${JSON.stringify(options)} ${host}`).toBe(allowed);
    }
    expect(hostnameOf('[::1]:80')).toBe('::1');
    expect(hostnameOf('::1')).toBe('::1');
    expect(parseAllowedHosts(['a.example, b.example:8080', 'http://c.example:1/x'])).toEqual([
      'a.example',
      'b.example',
      'c.example',
    ]);
  });
});
