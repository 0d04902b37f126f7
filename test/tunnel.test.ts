/** The real localtunnel client against the loopback protocol server, through `createLocaltunnelOpener`. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createLocaltunnelOpener,
  createStaticOpener,
  parseTunnelUrl,
  TunnelRefusedError,
} from '../src/tunnel/index.js';
import { type LocaltunnelTestServer, startLocaltunnelServer } from './support/localtunnel-server.js';
import { type FakeBridge, startFakeBridge, waitUntil } from './support/tunnel-helpers.js';

let bridge: FakeBridge | undefined;
let lt: LocaltunnelTestServer | undefined;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await lt?.close();
  await bridge?.close();
  lt = undefined;
  bridge = undefined;
});

describe('localtunnel opener', () => {
  it('speaks what the reference client (the original localtunnel 2.0.2, a devDependency) speaks', async () => {
    bridge = await startFakeBridge();
    lt = await startLocaltunnelServer();
    const { default: localtunnel } = await import('localtunnel');
    const reference = await localtunnel({ port: bridge.port, host: lt.url, local_host: '127.0.0.1' });
    reference.on('error', () => {});
    cleanups.push(async () => reference.close());
    const ours = await createLocaltunnelOpener({ host: lt.url })({ port: bridge.port });
    cleanups.push(() => ours.close());
    for (const url of [reference.url, ours.url]) {
      const response = await fetch(`${url}/message`, { method: 'POST', body: '{"same":true}' });
      expect(await response.json()).toEqual({ method: 'POST', path: '/message', body: '{"same":true}' });
    }
    expect(lt.registrations).toHaveLength(2);
  });

  it('forwards public requests to the local port and closes its sockets', async () => {
    bridge = await startFakeBridge();
    lt = await startLocaltunnelServer();
    const tunnel = await createLocaltunnelOpener({ host: lt.url })({ port: bridge.port });
    cleanups.push(() => tunnel.close());
    expect(tunnel.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(tunnel.subdomain).toBe(lt.registrations[0].id);

    const response = await fetch(`${tunnel.url}/message`, { method: 'POST', body: '{"x":1}' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ method: 'POST', path: '/message', body: '{"x":1}' });
    // Several requests over kept-alive tunnel sockets.
    for (let i = 0; i < 5; i++) expect((await fetch(`${tunnel.url}/n${i}`)).status).toBe(200);
    expect(bridge.hits).toContain('GET /n4');

    await waitUntil(() => lt?.connectedSockets() === 2);
    await tunnel.close();
    await waitUntil(() => lt?.connectedSockets() === 0);
  });

  it('asks for the subdomain it is given and gets the same URL again', async () => {
    bridge = await startFakeBridge();
    lt = await startLocaltunnelServer();
    const open = createLocaltunnelOpener({ host: lt.url });
    const first = await open({ port: bridge.port, subdomain: 'quiet-fox' });
    await first.close();
    const second = await open({ port: bridge.port, subdomain: 'quiet-fox' });
    cleanups.push(() => second.close());
    expect(second.subdomain).toBe('quiet-fox');
    expect(second.url).toBe(first.url);
    expect(lt.registrations.map((r) => r.requested)).toEqual(['quiet-fox', 'quiet-fox']);
    expect((await fetch(`${second.url}/health`)).status).toBe(200);
  });

  it('rejects a refused registration instead of retrying forever', async () => {
    bridge = await startFakeBridge();
    lt = await startLocaltunnelServer();
    const open = createLocaltunnelOpener({ host: lt.url });
    const error = await open({ port: bridge.port, subdomain: 'NO' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TunnelRefusedError);
    expect((error as TunnelRefusedError).status).toBe(403);
    expect((error as Error).message).toMatch(/403: Invalid subdomain/);
  });

  it('stops when its signal aborts while the server is unreachable', async () => {
    const dead = await startLocaltunnelServer();
    const host = dead.url;
    await dead.close();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('gave up')), 50);
    const open = createLocaltunnelOpener({ host });
    await expect(open({ port: 9, signal: controller.signal })).rejects.toThrow();
  });

  it('reports the tunnel down when the server goes away', async () => {
    const watched = await openWatchedTunnel();
    await watched.server.close();
    await waitUntil(() => watched.down !== undefined);
    expect(watched.down?.message).toMatch(/connection refused/);
  });
});

/** A bridge behind a fresh loopback tunnel server, with the tunnel's `onDown` reason kept. */
async function openWatchedTunnel() {
  bridge = await startFakeBridge();
  const server = await startLocaltunnelServer();
  lt = server;
  const watched: { down?: Error } = {};
  const tunnel = await createLocaltunnelOpener({ host: server.url })({
    port: bridge.port,
    onDown: (reason) => {
      watched.down = reason;
    },
  });
  cleanups.push(() => tunnel.close());
  return Object.assign(watched, { tunnel, server });
}

describe('localtunnel opener, misbehaving server', () => {
  it('reports a tunnel whose sockets keep being dropped instead of spinning', async () => {
    const watched = await openWatchedTunnel();
    const { tunnel, server } = watched;
    server.dropSockets = true;
    // Kick the kept-alive sockets so the client reconnects into the dropping server.
    await fetch(`${tunnel.url}/bye`, { headers: { connection: 'close' } }).catch(() => {});
    await waitUntil(() => watched.down !== undefined, 5_000);
    expect(watched.down?.message).toBe('the tunnel server keeps dropping our sockets');
  });
});

describe('bring your own URL', () => {
  it('parses and trims --tunnel-url, refusing what is not an http(s) URL', async () => {
    expect(parseTunnelUrl('https://abc.ngrok.app/')).toBe('https://abc.ngrok.app');
    expect(parseTunnelUrl('https://proxy.example.com/bot/')).toBe('https://proxy.example.com/bot');
    expect(() => parseTunnelUrl('abc.ngrok.app')).toThrow(/not a URL/);
    expect(() => parseTunnelUrl('ftp://x.example')).toThrow(/must be http/);
    const tunnel = await createStaticOpener('https://abc.ngrok.app/')({ port: 1 });
    expect(tunnel.url).toBe('https://abc.ngrok.app');
    await tunnel.close();
  });
});
