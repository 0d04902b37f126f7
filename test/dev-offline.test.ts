/**
 * `dev --no-tunnel` with no respond.io credentials: the emulator plays respond.io and the mock
 * provider plays the generic HTTP provider, all offline. An outgoing message started in the
 * emulator reaches the mock provider through the adapter, and its statuses come back.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DevProcess, startDevProcess } from './support/dev-process.js';
import { createDevProject } from './support/dev-project.js';

let dev: DevProcess | undefined;
afterEach(async () => {
  await dev?.kill();
  dev = undefined;
});

interface OutgoingRecord {
  messageId: number;
  mId: string | null;
  status: string;
  statuses: Array<{ value: string }>;
}

describe('dev offline', () => {
  it('runs emulator, bridge and mock provider: /message reaches the provider and statuses come back', async () => {
    const project = await createDevProject({ template: 'generic-http' });
    dev = startDevProcess(['--port', '0', '--no-tunnel'], {
      cwd: project.root,
      env: {
        XDG_CONFIG_HOME: join(project.root, '.xdg'),
        RESPONDIO_CHANNEL_ID: '',
        RESPONDIO_CHANNEL_TOKEN: '',
      },
    });
    const banner = (await dev.waitFor((e) => e.type === 'banner')).banner as {
      mode: string;
      emulatorUrl: string;
      providerUrl: string;
      webhookUrl: string;
      token: string;
      inspectorUrl: string;
    };
    expect(banner.mode).toBe('emulator');
    expect(banner.webhookUrl).toBe(`${banner.emulatorUrl}/custom/channel/webhook/`);
    expect(banner.providerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // The inspector page is served and named in the banner.
    expect((await fetch(banner.inspectorUrl)).status).toBe(200);

    const started = await fetch(`${banner.emulatorUrl}/_emulator/messages?wait=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contactId: '+60123456789', message: { type: 'text', text: 'Your order has shipped' } }),
    });
    expect(started.status).toBe(200);
    const record = (await started.json()) as OutgoingRecord;
    expect(record.status).toBe('sent');

    const sends = (await (await fetch(`${banner.providerUrl}/_mock/sends`)).json()) as {
      sends: Array<{ id: string; body: { to: string; text: string } }>;
    };
    expect(sends.sends).toHaveLength(1);
    expect(JSON.stringify(sends.sends[0])).toContain('Your order has shipped');
    expect(JSON.stringify(sends.sends[0])).toContain('+60123456789');
    expect(JSON.stringify(sends.sends[0])).toContain(record.mId as string);

    const until = Date.now() + 10_000;
    let latest = record;
    while (!latest.statuses.some((s) => s.value === 'read') && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      latest = (await (
        await fetch(`${banner.emulatorUrl}/_emulator/messages/${record.messageId}`)
      ).json()) as OutgoingRecord;
    }
    // The mock provider also reports `sent` by callback, so `sent` may be recorded twice.
    const values = latest.statuses.map((s) => s.value).filter((value, i, all) => value !== all[i - 1]);
    expect(values).toEqual(['pending', 'sent', 'delivered', 'read']);

    // One console record per exchange on both legs.
    const routes = dev.events
      .filter((e) => e.type === 'exchange')
      .map((e) => {
        const x = e.exchange as { leg: string; direction: string; url: string; status: number };
        return `${x.leg}:${x.direction} ${x.direction === 'in' ? x.url : new URL(x.url).pathname} ${x.status}`;
      });
    expect(routes).toContain('respondio:in /message 200');
    expect(routes).toContain('provider:out /v1/messages 200');
    expect(routes).toContain('provider:in /webhooks/provider 200');
    expect(routes).toContain('respondio:out /custom/channel/webhook/ 200');
    expect(JSON.stringify(dev.events)).not.toContain(banner.token.replace('…', ''));
  });
});
