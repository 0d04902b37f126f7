/**
 * `custom-channel dev` end to end: the built bin in a temp project, the real localtunnel
 * client against the loopback localtunnel-protocol server, and a real channel configured
 * through the environment with respond.io's webhook played by a local receiver.
 */
import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DevEventLine, type DevProcess, startDevProcess } from './support/dev-process.js';
import { createDevProject, type DevProject } from './support/dev-project.js';
import { type LocaltunnelTestServer, startLocaltunnelServer } from './support/localtunnel-server.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/respondio-receiver.js';

const TOKEN = 'dev-test-channel-token-0123456789abcdefghijklm';
const SECRET = 'provider-webhook-secret-0123456789';
let dev: DevProcess | undefined;
let lt: LocaltunnelTestServer | undefined;
let receiver: WebhookReceiver | undefined;

afterEach(async () => {
  await dev?.kill();
  await lt?.close();
  await receiver?.close();
  dev = undefined;
  lt = undefined;
  receiver = undefined;
});

let project: DevProject;
beforeAll(async () => {
  project = await createDevProject({ template: 'custom' });
  await writeFile(
    join(project.root, '.env'),
    `PROVIDER_WEBHOOK_SECRET=${SECRET}\nPROVIDER_API_URL=http://127.0.0.1:9\n`,
  );
});

function channelEnv(webhookUrl: string): NodeJS.ProcessEnv {
  return {
    RESPONDIO_CHANNEL_ID: 'dev-test-channel',
    RESPONDIO_CHANNEL_TOKEN: TOKEN,
    RESPONDIO_WEBHOOK_URL: webhookUrl,
    XDG_CONFIG_HOME: join(project.root, '.xdg'),
  };
}

async function postMessage(base: string, text: string, token = TOKEN) {
  const response = await fetch(`${base}/message`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channelId: 'dev-test-channel', contactId: '+60123456789', message: { type: 'text', text } }),
  });
  return { status: response.status, body: (await response.json()) as { mId?: string } };
}

/** The provider reports an inbound message (signed like the generic protocol). */
function postInbound(base: string, messageId: string) {
  const body = JSON.stringify({
    kind: 'message',
    messageId,
    from: '+60123456789',
    timestamp: Date.now(),
    type: 'text',
    text: `hello ${messageId}`,
  });
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  return fetch(`${base}/webhooks/provider`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-provider-signature': signature },
    body,
  });
}

const bannerUrl = (event: DevEventLine) => (event.banner as { apiBaseUrl: string }).apiBaseUrl;

describe('dev with a tunnel', () => {
  it('answers /message through the public URL and gets a new URL within 10 s after the tunnel server restarts', async () => {
    receiver = await startWebhookReceiver();
    lt = await startLocaltunnelServer();
    dev = startDevProcess(['--port', '0', '--tunnel-host', lt.url, '--canary-interval', '1'], {
      cwd: project.root,
      env: channelEnv(receiver.url),
    });
    const first = await dev.waitFor((e) => e.type === 'banner');
    const url1 = bannerUrl(first);
    expect(url1).toBe(lt.registrations[0].url);
    expect(first.banner).toMatchObject({ mode: 'respondio', messageUrl: `${url1}/message`, webhookUrl: receiver.url });
    expect(JSON.stringify(dev.events)).not.toContain(TOKEN);

    expect(await postMessage(url1, 'which version?')).toEqual({ status: 200, body: { mId: 'version-v1' } });
    expect(lt.requests.some((r) => r.path === '/message')).toBe(true);
    await dev.waitFor((e) => e.type === 'exchange' && (e.exchange as { url: string }).url === '/message');

    const port = lt.port;
    const firstId = lt.registrations[0].id;
    await lt.close();
    const seen = dev.events.length;
    lt = await startLocaltunnelServer({ port });
    const restartedAt = Date.now();
    const second = await dev.waitFor((e) => e.type === 'banner', 10_000, seen);
    expect(Date.now() - restartedAt).toBeLessThan(10_000);
    const url2 = bannerUrl(second);
    expect(url2).not.toBe(url1);
    expect(await postMessage(url2, 'which version?')).toEqual({ status: 200, body: { mId: 'version-v1' } });
    // It asked for the subdomain it had.
    expect(lt.registrations[0].requested).toBe(firstId);
  });

  it('replaces a tunnel that accepts connections but never forwards (canary)', async () => {
    receiver = await startWebhookReceiver();
    lt = await startLocaltunnelServer({ forward: false });
    dev = startDevProcess(['--port', '0', '--tunnel-host', lt.url, '--canary-interval', '0.5'], {
      cwd: project.root,
      env: channelEnv(receiver.url),
    });
    const banner = await dev.waitFor((e) => e.type === 'banner');
    lt.forward = true;
    const down = await dev.waitFor((e) => e.type === 'tunnel' && (e.event as { type: string }).type === 'down');
    expect((down.event as { reason: string }).reason).toMatch(/^canary: /);
    await dev.waitFor((e) => e.type === 'tunnel' && (e.event as { type: string }).type === 'canary-ok');
    expect(lt.registrations.map((r) => r.forward)).toEqual([false, true]);
    expect(await postMessage(bannerUrl(banner), 'which version?')).toMatchObject({ status: 200 });
  });
});

describe('dev without a tunnel', () => {
  it('applies an adapter edit on the next request, keeping queued events', async () => {
    receiver = await startWebhookReceiver();
    receiver.status = 503;
    const own = await createDevProject({ template: 'custom' });
    await writeFile(join(own.root, '.env'), `PROVIDER_WEBHOOK_SECRET=${SECRET}\n`);
    dev = startDevProcess(['--port', '0', '--no-tunnel'], { cwd: own.root, env: channelEnv(receiver.url) });
    const banner = await dev.waitFor((e) => e.type === 'banner');
    const base = bannerUrl(banner);
    expect((banner.banner as { localOnly: boolean }).localOnly).toBe(true);
    // An event waits in the outbox while respond.io is down.
    expect((await postInbound(base, 'queued-1')).status).toBe(200);
    expect(await postMessage(base, 'which version?')).toEqual({ status: 200, body: { mId: 'version-v1' } });

    await own.writeAdapter('v2');
    expect(await postMessage(base, 'which version?')).toEqual({ status: 200, body: { mId: 'version-v2' } });
    expect(dev.events).toContainEqual(expect.objectContaining({ type: 'reload', ok: true, name: 'generic-test-v2' }));

    receiver.status = 200;
    const until = Date.now() + 15_000;
    while (receiver.bodies.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(receiver.bodies.map((b) => (b.body as { events: Array<{ mId: string }> }).events[0].mId)).toEqual([
      'queued-1',
    ]);
  });

  it('stops on SIGINT within 2 s with exit 130, keeping undelivered events for the next run', async () => {
    receiver = await startWebhookReceiver();
    receiver.status = 503;
    dev = startDevProcess(['--port', '0', '--no-tunnel'], { cwd: project.root, env: channelEnv(receiver.url) });
    const base = bannerUrl(await dev.waitFor((e) => e.type === 'banner'));
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      expect((await postInbound(base, `in-${i}`)).status).toBe(200);
      sent.push(`in-${i}`);
    }
    const pid = dev.child.pid as number;
    const stoppedAt = Date.now();
    dev.child.kill('SIGINT');
    const code = await dev.exited;
    expect(code).toBe(130);
    expect(Date.now() - stoppedAt).toBeLessThan(2_000);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(dev.events.at(-1)).toMatchObject({ type: 'stopped' });

    // Next run, respond.io is back: every event arrives, none twice.
    receiver.status = 200;
    dev = startDevProcess(['--port', '0', '--no-tunnel'], { cwd: project.root, env: channelEnv(receiver.url) });
    await dev.waitFor((e) => e.type === 'banner');
    const until = Date.now() + 15_000;
    const delivered = () =>
      receiver?.bodies.flatMap((b) => (b.body as { events: Array<{ mId: string }> }).events.map((e) => e.mId)) ?? [];
    while (delivered().length < sent.length && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(delivered().sort()).toEqual(sent);
    expect(receiver.bodies[0].authorization).toBe(`Bearer ${TOKEN}`);
  });
});
