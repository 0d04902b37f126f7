/**
 * Every server the project runs, built once for tests that send them bad input: the bridge (a
 * real template adapter, clicksend-sms, plus the signed test adapter's path), the emulator, the
 * inspector (with the emulator), the mock provider and the provider stand-in. Fastify ones are
 * driven with `inject()`; the stand-in is a plain node server, so it is driven over loopback.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { defineAdapter } from '../../src/bridge/adapter.js';
import { buildBridge } from '../../src/bridge/index.js';
import { buildEmulator, type EmulatorApp } from '../../src/emulator/server.js';
import { ExchangeFeed } from '../../src/exchange.js';
import { buildInspector } from '../../src/inspector/server.js';
import { buildMockProvider } from '../../src/mock-provider/server.js';
import { loadAdapter } from '../../src/project.js';
import { startProviderStub } from '../../src/provider-stub/server.js';
import { buildTestAdapter } from './bridge-adapter.js';

export const BRIDGE_TOKEN = 'tok_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH';
export const BRIDGE_CHANNEL = 'chan-bad-inputs';
export const MOCK_API_KEY = 'mock_key_0123456789abcdef';
export const CLICKSEND = resolve(import.meta.dirname, '..', '..', 'templates', 'clicksend-sms');

export interface Sent {
  method: string;
  url: string;
  headers?: Record<string, string>;
  payload?: string | Buffer;
}

export interface Answer {
  status: number;
  body: string;
}

export interface ServerUnderTest {
  name: 'bridge' | 'emulator' | 'inspector' | 'mock-provider' | 'provider-stub';
  send(request: Sent): Promise<Answer>;
  /** A request that must keep answering 2xx, asked after the bad ones. */
  probe: Sent;
  /** More reads that must keep answering 2xx (the views that recursed over stored data). */
  reads: string[];
}

export interface Servers {
  byName: Record<ServerUnderTest['name'], ServerUnderTest>;
  emulator: EmulatorApp;
  /** The emulator's first channel (for authorised webhook posts). */
  channel: { channelId: string; token: string };
  devApiToken: string;
  /** Authorization header the provider stand-in accepts. */
  stubAuth: string;
  close(): Promise<void>;
}

const viaInject =
  (app: FastifyInstance) =>
  async (request: Sent): Promise<Answer> => {
    const res = await app.inject({
      method: request.method as 'GET',
      url: request.url,
      headers: request.headers,
      payload: request.payload,
    });
    return { status: res.statusCode, body: res.body };
  };

/** Builds every server; `close()` stops them and removes the temp folder. */
export async function openServers(): Promise<Servers> {
  const dir = await mkdtemp(join(tmpdir(), 'bad-inputs-'));
  const clicksend = await loadAdapter(join(CLICKSEND, 'src', 'adapter.ts'));
  const test = buildTestAdapter();
  // The test adapter's send (answers at once: a good /message is a 200, not a provider
  // timeout), the template's webhooks and the signed test path.
  const adapter = defineAdapter({ ...test, webhooks: [...clicksend.webhooks, ...test.webhooks] });
  // The bridge's traffic is recorded by the inspector, as under `dev`.
  const exchanges = new ExchangeFeed();
  const bridge = buildBridge({
    exchanges,
    adapter,
    channel: { channelId: BRIDGE_CHANNEL, token: BRIDGE_TOKEN, idType: 'phone' },
    respondio: { webhookUrl: 'http://127.0.0.1:9/custom/channel/webhook/' },
    stateDir: join(dir, 'bridge'),
    sendTimeoutMs: 300,
    env: {
      CLICKSEND_API_URL: 'http://127.0.0.1:9/v3',
      CLICKSEND_USERNAME: 'user',
      CLICKSEND_API_KEY: 'key-0123456789',
      CLICKSEND_WEBHOOK_SECRET: '',
    },
  });
  // A clock a second further on each reading: the Developer API's rate limit (a few calls a
  // second) must not answer the corpus 429 before its bodies are read.
  let clock = Date.now();
  const emulator = await buildEmulator({
    rateLimitPerSecond: false,
    messageTimeoutMs: 300,
    now: () => (clock += 1000),
  });
  const core = emulator.emulator;
  const inspector = await buildInspector({
    emulator: {
      subscribe: (listener) => core.store.subscribe(listener),
      sendMessage: (input) => core.start(input, 'user').done,
    },
    exchanges,
    token: () => BRIDGE_TOKEN,
  });
  const mock = buildMockProvider({ apiKey: MOCK_API_KEY, fetch: (async () => new Response('{}')) as typeof fetch });
  const stub = await startProviderStub({ root: CLICKSEND, callbackDelayMs: 5 });
  stub.setCallbackBase('http://127.0.0.1:9');
  const channel = emulator.emulator.channels[0];
  const stubAuth = `Basic ${Buffer.from(`${stub.env.CLICKSEND_USERNAME}:${stub.env.CLICKSEND_API_KEY}`).toString('base64')}`;
  const servers: ServerUnderTest[] = [
    { name: 'bridge', send: viaInject(bridge), probe: { method: 'GET', url: '/health' }, reads: [] },
    {
      name: 'emulator',
      send: viaInject(emulator),
      probe: { method: 'GET', url: '/_emulator/messages' },
      reads: ['/_emulator/contacts', '/_emulator/conversations', '/_emulator/channels', '/_emulator/anomalies'],
    },
    {
      name: 'inspector',
      send: viaInject(inspector.app),
      probe: { method: 'GET', url: '/api/entries' },
      reads: ['/api/conversations', '/api/info'],
    },
    {
      name: 'mock-provider',
      send: viaInject(mock.app),
      probe: { method: 'GET', url: '/_mock/sends' },
      reads: ['/_mock/callbacks', '/_mock/scenario'],
    },
    {
      name: 'provider-stub',
      async send(request) {
        const res = await fetch(`${stub.url}${request.url}`, {
          method: request.method,
          headers: request.headers,
          body: request.method === 'GET' || request.method === 'HEAD' ? undefined : (request.payload as BodyInit),
        });
        return { status: res.status, body: await res.text() };
      },
      probe: {
        method: 'POST',
        url: '/v3/sms/send',
        headers: {
          'content-type': 'application/json',
          authorization: stubAuth,
        },
        payload: JSON.stringify({ messages: [{ to: '+60177872890', body: 'hi' }] }),
      },
      reads: [],
    },
  ];
  return {
    byName: Object.fromEntries(servers.map((s) => [s.name, s])) as Servers['byName'],
    emulator,
    channel: { channelId: channel.channelId, token: channel.token },
    devApiToken: emulator.emulator.devApiToken,
    stubAuth,
    async close() {
      await Promise.allSettled([
        bridge.close(),
        inspector.app.close(),
        emulator.close(),
        mock.app.close(),
        stub.close(),
      ]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `{"a":{"a":...1...}}` nested `levels` deep (about 5 bytes a level). */
export function deepJson(levels: number, open = '{"a":', close = '}'): string {
  return `${open.repeat(levels)}1${close.repeat(levels)}`;
}
