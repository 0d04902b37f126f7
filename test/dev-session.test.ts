/**
 * startDev's orchestration with injected stand-ins for the bridge and emulator (the real ones
 * are exercised by the spawned-bin tests in dev.test.ts): banner on start and on URL change,
 * adapter reload per request, tunnel closed before the bridge.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DevEvent } from '../src/dev/events.js';
import { parseDevFlags } from '../src/dev/options.js';
import type { DevBridgeOptions, DevServices } from '../src/dev/services.js';
import { type DevSession, startDev } from '../src/dev/session.js';
import { createDevProject } from './support/dev-project.js';
import { type LocaltunnelTestServer, startLocaltunnelServer } from './support/localtunnel-server.js';

const TOKEN = 'emulator-token-0123456789abcdefghijklmnopqrstuv';
let session: DevSession | undefined;
let lt: LocaltunnelTestServer | undefined;
afterEach(async () => {
  await session?.close();
  await lt?.close();
  session = undefined;
  lt = undefined;
});

function fakeServices(order: string[]): DevServices {
  return {
    async startBridge(options: DevBridgeOptions) {
      const server = http.createServer(async (req, res) => {
        if (req.url === '/health') return void res.writeHead(200).end('{"ok":true}');
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
        const adapter = await options.adapter();
        const result = await adapter.send(body, {} as never);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      return {
        url: `http://127.0.0.1:${port}`,
        port,
        close: () =>
          new Promise<void>((resolve) => {
            order.push('bridge');
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      };
    },
    async startEmulator() {
      return {
        url: 'http://127.0.0.1:9',
        channel: { channelId: 'emu-1', token: TOKEN, idType: 'phone' as const },
        webhookUrl: 'http://127.0.0.1:9/custom/channel/webhook/',
        setApiBaseUrl: (url: string) => order.push(`api-base ${url}`),
        close: async () => void order.push('emulator'),
      };
    },
    startProvider: async () => undefined,
  };
}

async function sendText(base: string, text: string) {
  const response = await fetch(`${base}/message`, {
    method: 'POST',
    body: JSON.stringify({ channelId: 'emu-1', contactId: '+60123456789', message: { type: 'text', text } }),
  });
  return (await response.json()) as { mId: string };
}

describe('dev session (stand-in bridge)', () => {
  it('opens a tunnel, prints a banner per URL, reloads the adapter, closes the tunnel first', async () => {
    const project = await createDevProject({ template: 'none' });
    lt = await startLocaltunnelServer();
    const events: DevEvent[] = [];
    const order: string[] = [];
    session = await startDev({
      ...parseDevFlags({ port: '0', tunnelHost: lt.url, canaryInterval: '0.2' }),
      cwd: project.root,
      env: {},
      userConfigDir: project.root,
      services: fakeServices(order),
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'tunnel' && event.event.type === 'closed') order.push('tunnel');
      },
    });
    expect(session.mode).toBe('emulator');
    const until = Date.now() + 10_000;
    while (!events.some((e) => e.type === 'banner') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const banner = events.find((e) => e.type === 'banner');
    expect(banner).toMatchObject({
      banner: {
        mode: 'emulator',
        apiBaseUrl: session.publicUrl,
        localOnly: false,
        channelId: 'emu-1',
        token: 'emul…uv',
        webhookUrl: 'http://127.0.0.1:9/custom/channel/webhook/',
        providerWebhooks: [`${session.publicUrl}/webhooks/provider`],
      },
    });
    expect(JSON.stringify(events)).not.toContain(TOKEN);
    expect(order).toContain(`api-base ${session.bridgeUrl}`);

    expect(await sendText(session.publicUrl as string, 'which version?')).toEqual({ mId: 'version-v1' });
    await project.writeAdapter('v2');
    expect(await sendText(session.publicUrl as string, 'which version?')).toEqual({ mId: 'version-v2' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'reload', ok: true, name: 'generic-test-v2' }));

    await session.close();
    expect(order.slice(-3)).toEqual(['tunnel', 'bridge', 'emulator']);
  });

  it('with --no-tunnel prints the local banner at once', async () => {
    const project = await createDevProject({ template: 'none' });
    const events: DevEvent[] = [];
    session = await startDev({
      ...parseDevFlags({ port: '0', tunnel: false }),
      cwd: project.root,
      env: { RESPONDIO_CHANNEL_ID: 'real-1', RESPONDIO_CHANNEL_TOKEN: 'real-token-0123456789abcdefghij' },
      userConfigDir: project.root,
      services: fakeServices([]),
      onEvent: (event) => events.push(event),
    });
    expect(session.mode).toBe('respondio');
    expect(events.map((e) => e.type)).toEqual(['ready', 'banner']);
    expect(events[1]).toMatchObject({
      banner: {
        apiBaseUrl: session.bridgeUrl,
        localOnly: true,
        channelId: 'real-1',
        token: 'real…ij',
        tokenSource: 'env',
        webhookUrl: 'https://webhook.respond.io/custom/channel/webhook/',
      },
    });
  });

  it('shows the local banner when no tunnel opens in time, then the public one', async () => {
    const project = await createDevProject({ template: 'none' });
    const events: DevEvent[] = [];
    let release: (() => void) | undefined;
    session = await startDev({
      ...parseDevFlags({ port: '0' }),
      cwd: project.root,
      env: {},
      userConfigDir: project.root,
      services: fakeServices([]),
      localBannerAfterMs: 50,
      tunnelOpener: () =>
        new Promise((resolve) => {
          release = () => resolve({ url: 'http://127.0.0.1:9', close: async () => {} });
        }),
      onEvent: (event) => events.push(event),
    });
    const until = Date.now() + 5_000;
    while (!events.some((e) => e.type === 'banner') && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(events.find((e) => e.type === 'banner')).toMatchObject({
      banner: { localOnly: true, apiBaseUrl: session.bridgeUrl },
    });
    release?.();
    while (events.filter((e) => e.type === 'banner').length < 2 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 10));
    expect(events.filter((e) => e.type === 'banner').at(-1)).toMatchObject({
      banner: { localOnly: false, apiBaseUrl: 'http://127.0.0.1:9' },
    });
  });

  it('uses a bring-your-own URL as is and reports, not replaces, a failing one', async () => {
    const project = await createDevProject({ template: 'none' });
    const events: DevEvent[] = [];
    session = await startDev({
      ...parseDevFlags({ port: '0', tunnelUrl: 'http://127.0.0.1:9/', canaryInterval: '0.1' }),
      cwd: project.root,
      env: {},
      userConfigDir: project.root,
      services: fakeServices([]),
      onEvent: (event) => events.push(event),
    });
    const until = Date.now() + 5_000;
    const failures = () => events.filter((e) => e.type === 'tunnel' && e.event.type === 'canary-failed').length;
    while (failures() < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(failures()).toBeGreaterThanOrEqual(3);
    expect(events.find((e) => e.type === 'banner')).toMatchObject({ banner: { apiBaseUrl: 'http://127.0.0.1:9' } });
    expect(events.some((e) => e.type === 'tunnel' && e.event.type === 'down')).toBe(false);
    expect(events.filter((e) => e.type === 'tunnel' && e.event.type === 'open')).toHaveLength(1);
  });
});
