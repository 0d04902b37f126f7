import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { type BridgeHandle, startBridge } from '../src/bridge/index.js';
import type { Exchange } from '../src/exchange.js';
import { buildTestAdapter } from './support/bridge-adapter.js';

const TOKEN = 'tok_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH';
const API_KEY = 'provider-key-123456';
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startProvider(): Promise<{ url: string; calls: Array<{ auth?: string; body: string }> }> {
  const calls: Array<{ auth?: string; body: string }> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      calls.push({ auth: req.headers.authorization, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"prov-77","status":"accepted"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls };
}

it('listens, records both legs for a subscriber of its own feed (secrets masked), and closes idempotently', async () => {
  const provider = await startProvider();
  const dir = await mkdtemp(join(tmpdir(), 'bridge-start-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const bridge: BridgeHandle = await startBridge({
    adapter: buildTestAdapter(),
    channel: { channelId: 'chan-1', token: TOKEN, idType: 'phone' },
    respondio: { webhookUrl: 'http://127.0.0.1:9/custom/channel/webhook/' },
    env: { PROVIDER_URL: provider.url, PROVIDER_API_KEY: API_KEY },
    stateDir: dir,
  });
  cleanups.push(() => bridge.close());
  expect(bridge.url).toBe(`http://127.0.0.1:${bridge.port}`);
  const records: Exchange[] = [];
  const off = bridge.exchanges.subscribe((e) => records.push(e));
  const response = await fetch(`${bridge.url}/message`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channelId: 'chan-1', contactId: '+60177872890', message: { type: 'text', text: 'call' } }),
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ mId: 'prov-77' });
  expect(provider.calls[0].auth).toBe(`Bearer ${API_KEY}`);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const out = records.find((e) => e.leg === 'provider' && e.direction === 'out');
  expect(out).toMatchObject({
    method: 'POST',
    url: `${provider.url}/v1/messages`,
    status: 200,
    contactId: '+60177872890',
    messageType: 'text',
    requestBody: { to: '+60177872890', type: 'text', text: 'call' },
    responseBody: { id: 'prov-77', status: 'accepted' },
  });
  expect(out?.requestHeaders.authorization).toBe('Bearer prov…23'.replace('23', API_KEY.slice(-2)));
  expect(records.find((e) => e.leg === 'respondio' && e.direction === 'in')).toMatchObject({
    status: 200,
    mId: 'prov-77',
  });
  off();
  await bridge.close();
  await bridge.close();
  await expect(fetch(`${bridge.url}/health`)).rejects.toThrow();
});
