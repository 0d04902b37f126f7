/** The supervisor with the real localtunnel client: restarts, stalled tunnels, timeouts, backoff. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createLocaltunnelOpener,
  createStaticOpener,
  startTunnelSupervisor,
  type Tunnel,
  type TunnelEvent,
  type TunnelOpener,
  type TunnelSupervisor,
} from '../src/tunnel/index.js';
import { type LocaltunnelTestServer, startLocaltunnelServer } from './support/localtunnel-server.js';
import { type FakeBridge, nextEvent, startFakeBridge } from './support/tunnel-helpers.js';

let bridge: FakeBridge | undefined;
const servers: LocaltunnelTestServer[] = [];
let supervisor: TunnelSupervisor | undefined;

afterEach(async () => {
  await supervisor?.close();
  for (const server of servers.splice(0)) await server.close();
  await bridge?.close();
  supervisor = undefined;
  bridge = undefined;
});

function record(s: TunnelSupervisor): TunnelEvent[] {
  const events: TunnelEvent[] = [];
  s.on((event) => events.push(event));
  return events;
}

describe('tunnel supervisor', () => {
  it('opens a new tunnel within 10 s after the tunnel server is killed and restarted', async () => {
    bridge = await startFakeBridge();
    const first = await startLocaltunnelServer();
    servers.push(first);
    supervisor = startTunnelSupervisor({
      opener: createLocaltunnelOpener({ host: first.url }),
      port: bridge.port,
      canary: { intervalMs: 500, timeoutMs: 1_000, failures: 1 },
    });
    const events = record(supervisor);
    const url1 = await supervisor.waitForUrl();
    expect((await fetch(`${url1}/health`)).status).toBe(200);
    const subdomain = first.registrations[0].id;

    await first.close();
    const restarted = await startLocaltunnelServer({ port: first.port });
    servers.push(restarted);
    const started = Date.now();
    const reopened = await nextEvent(supervisor, (e) => e.type === 'open', 10_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(reopened).toMatchObject({ type: 'open', previousUrl: url1, changed: true });
    const url2 = (reopened as { url: string }).url;
    expect(url2).not.toBe(url1);
    expect(await (await fetch(`${url2}/message`, { method: 'POST', body: 'hi' })).json()).toMatchObject({
      path: '/message',
      body: 'hi',
    });
    // It asked the restarted server for the subdomain it had before.
    expect(restarted.registrations[0].requested).toBe(subdomain);
    expect(events.some((e) => e.type === 'down')).toBe(true);
  });

  it('detects a tunnel that accepts connections but never forwards, and replaces it', async () => {
    bridge = await startFakeBridge();
    const lt = await startLocaltunnelServer({ forward: false });
    servers.push(lt);
    supervisor = startTunnelSupervisor({
      opener: createLocaltunnelOpener({ host: lt.url }),
      port: bridge.port,
      canary: { intervalMs: 200, timeoutMs: 300, failures: 2 },
    });
    const events = record(supervisor);
    await supervisor.waitForUrl();
    // From now on the server forwards again: only a replacement tunnel can work.
    lt.forward = true;
    const down = await nextEvent(supervisor, (e) => e.type === 'down', 10_000);
    expect(down).toMatchObject({ reason: expect.stringMatching(/canary: no answer in 300 ms \(2 in a row\)/) });
    const healthy = await nextEvent(supervisor, (e) => e.type === 'canary-ok', 10_000);
    expect(healthy.type).toBe('canary-ok');
    expect(events.filter((e) => e.type === 'canary-failed')).toHaveLength(2);
    expect(lt.registrations.map((r) => r.forward)).toEqual([false, true]);
    // Same subdomain, same URL on this server: the banner need not change.
    const reopened = events.filter((e) => e.type === 'open');
    expect(reopened[1]).toMatchObject({ changed: false });
    expect(bridge.hits).toContain('GET /health');
  });

  it('gives up on an open attempt after the timeout and retries with backoff', async () => {
    const calls: Array<{ signal?: AbortSignal; subdomain?: string }> = [];
    const hanging: TunnelOpener = (options) => {
      calls.push(options);
      return new Promise(() => {});
    };
    supervisor = startTunnelSupervisor({
      opener: hanging,
      port: 1,
      subdomain: 'my-bot',
      openTimeoutMs: 50,
      backoff: { initialMs: 10, maxMs: 40 },
      canary: false,
    });
    const events = record(supervisor);
    await nextEvent(supervisor, (e) => e.type === 'open-failed' && e.attempt === 4, 5_000);
    const failed = events.filter((e) => e.type === 'open-failed') as Array<{ retryInMs: number; error: string }>;
    expect(failed.map((e) => e.retryInMs)).toEqual([10, 20, 40, 40]);
    expect(failed[0].error).toBe('no tunnel after 50 ms');
    expect(calls.slice(0, 4).every((c) => c.signal?.aborted && c.subdomain === 'my-bot')).toBe(true);
    await supervisor.close();
    expect(calls.at(-1)?.signal?.aborted).toBe(true);
    expect(events.at(-1)).toEqual({ type: 'closed' });
  });

  it('closes a tunnel that arrives after its attempt timed out', async () => {
    let closedLate = 0;
    let attempt = 0;
    const slowThenFast: TunnelOpener = async () => {
      attempt += 1;
      const tunnel: Tunnel = {
        url: `https://t${attempt}.example`,
        close: async () => {
          closedLate += 1;
        },
      };
      // Ignores its signal on purpose.
      if (attempt === 1) await new Promise((resolve) => setTimeout(resolve, 150));
      return tunnel;
    };
    supervisor = startTunnelSupervisor({ opener: slowThenFast, port: 1, openTimeoutMs: 50, canary: false });
    expect(await supervisor.waitForUrl(2_000)).toBe('https://t2.example');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(closedLate).toBe(1);
    expect(supervisor.url).toBe('https://t2.example');
  });

  it('reports a failing canary on a bring-your-own URL without replacing it', async () => {
    bridge = await startFakeBridge();
    await bridge.close();
    let opened = 0;
    const opener: TunnelOpener = (options) => {
      opened += 1;
      return createStaticOpener(`http://127.0.0.1:${bridge?.port}`)(options);
    };
    supervisor = startTunnelSupervisor({
      opener,
      port: 1,
      replaceable: false,
      canary: { intervalMs: 20, timeoutMs: 200, failures: 1 },
    });
    await nextEvent(supervisor, (e) => e.type === 'canary-failed' && e.consecutive === 3, 5_000);
    expect(opened).toBe(1);
    expect(supervisor.url).toBe(`http://127.0.0.1:${bridge.port}`);
  });

  it('replace() swaps the tunnel on request and close() closes it', async () => {
    const closed: string[] = [];
    let n = 0;
    const opener: TunnelOpener = async () => {
      const url = `https://t${++n}.example`;
      return { url, close: async () => void closed.push(url) };
    };
    supervisor = startTunnelSupervisor({ opener, port: 1, canary: false });
    await supervisor.waitForUrl();
    const next = nextEvent(supervisor, (e) => e.type === 'open');
    supervisor.replace('user asked');
    expect(await next).toMatchObject({ url: 'https://t2.example', previousUrl: 'https://t1.example', changed: true });
    await supervisor.close();
    expect(closed).toEqual(['https://t1.example', 'https://t2.example']);
    expect(supervisor.url).toBeUndefined();
  });
});

describe('tunnel open failures', () => {
  it('name the host and the cause, back off up to the cap, and give the hint once', async () => {
    const offline: TunnelOpener = async () => {
      throw new Error('request failed', {
        cause: Object.assign(new Error('getaddrinfo ENOTFOUND localtunnel.me'), { code: 'ENOTFOUND' }),
      });
    };
    supervisor = startTunnelSupervisor({
      opener: offline,
      port: 1,
      host: 'localtunnel.me',
      failureHint: 'use --no-tunnel or --tunnel-url',
      backoff: { initialMs: 5, maxMs: 20 },
      canary: false,
    });
    const events = record(supervisor);
    await nextEvent(supervisor, (e) => e.type === 'open-failed' && e.attempt === 4, 5_000);
    const failed = events.filter((e) => e.type === 'open-failed') as Array<{
      retryInMs: number;
      error: string;
      hint?: string;
    }>;
    expect(failed[0].error).toBe('cannot resolve localtunnel.me (no DNS: offline?)');
    expect(failed.map((e) => e.retryInMs).slice(0, 4)).toEqual([5, 10, 20, 20]);
    expect(failed.map((e) => e.hint)).toEqual(['use --no-tunnel or --tunnel-url', undefined, undefined, undefined]);
  });

  it.each([
    [{ message: 'failed', code: 'ECONNREFUSED' }, 'lt.example refused the connection'],
    [{ message: 'failed', code: 'EAI_AGAIN' }, 'cannot resolve lt.example (no DNS: offline?)'],
    [{ message: 'connect ETIMEDOUT 1.2.3.4:443' }, 'no answer from lt.example'],
    [{ message: 'HTTP 503' }, 'lt.example: HTTP 503'],
  ] as Array<[{ message: string; code?: string }, string]>)('%j -> %s', async (shape, expected) => {
    const { describeOpenError } = await import('../src/tunnel/supervisor.js');
    const error = Object.assign(new Error(shape.message), shape.code ? { code: shape.code } : {});
    expect(describeOpenError(error, 'lt.example')).toBe(expected);
  });
});
