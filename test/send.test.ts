/**
 * `send` offline against a freshly scaffolded generic-http project: the real bridge with the
 * template's adapter, the emulator and the mock provider, one stack for the whole file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaffold } from '../src/scaffold/index.js';
import { runSend } from '../src/send/run.js';
import { type OwnStack, startLocalStack } from '../src/send/stack.js';
import { describeAnalysis } from '../src/send/statuses.js';

let folder: string;
let stack: OwnStack;
const to = '+60177872890';

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'send-test-'));
  const { dir } = await scaffold({ dir: join(folder, 'p'), template: 'generic-http', install: false });
  stack = await startLocalStack({ cwd: dir, env: {} });
});
afterAll(async () => {
  await stack?.close();
  await rm(folder, { recursive: true, force: true });
});

const send = (options: Parameters<typeof runSend>[0]) => runSend({ stack, to, timeoutMs: 5000, ...options });

describe('send offline (generic-http, mock provider)', () => {
  it('follows sent, delivered, read across every hop', async () => {
    const hops: string[] = [];
    const report = await send({
      content: { text: 'Your order has shipped' },
      expect: ['sent', 'delivered', 'read'],
      scenario: 'read',
      onHop: (hop) => hops.push(`${hop.from}->${hop.to}`),
    });
    expect(report.ok).toBe(true);
    expect(report.statuses.map((s) => s.value)).toEqual(['sent', 'sent', 'delivered', 'read']);
    expect(new Set(hops)).toEqual(
      new Set(['respond.io->bridge', 'bridge->provider', 'provider->bridge', 'bridge->respond.io']),
    );
    expect(report.hops.every((h) => h.latencyMs >= 0 && h.ok)).toBe(true);
    expect(report.mId).toMatch(/^msg_/);
  });

  it('--scenario failed --expect failed passes and carries the reason', async () => {
    const report = await send({ content: { text: 'Hi' }, expect: ['failed'], scenario: 'failed' });
    expect(report.ok).toBe(true);
    expect(report.analysis.failedReason).toMatch(/recipient unreachable/);
    expect(report.summary).toMatch(/failed as expected .*recipient unreachable/);
  });

  it('a failure when success was expected fails with the reason', async () => {
    const report = await send({ content: { text: 'Hi' }, expect: ['sent', 'delivered', 'read'], scenario: 'failed' });
    expect(report.ok).toBe(false);
    expect(report.summary).toMatch(/^failed: recipient unreachable/);
  });

  it('--scenario out-of-order passes and reports the order', async () => {
    const report = await send({
      content: { text: 'Hi' },
      expect: ['sent', 'delivered', 'read'],
      scenario: 'out-of-order',
    });
    expect(report.ok).toBe(true);
    expect(report.analysis.outOfOrder).toBe(true);
    expect(describeAnalysis(report.analysis)).toContain(
      'out of order (accepted): the provider reported sent -> read -> delivered',
    );
  });

  it('--scenario duplicate reports the duplicate', async () => {
    const report = await send({
      content: { text: 'Hi' },
      expect: ['sent', 'delivered', 'read'],
      scenario: 'duplicate',
    });
    expect(report.ok).toBe(true);
    expect(report.analysis.duplicates).toContain('delivered');
  });

  it('--scenario silent names the missing statuses at the timeout', async () => {
    const report = await send({
      content: { text: 'Hi' },
      expect: ['sent', 'delivered', 'read'],
      scenario: 'silent',
      timeoutMs: 600,
    });
    expect(report.ok).toBe(false);
    expect(report.analysis.missing).toEqual(['delivered', 'read']);
    expect(report.summary).toBe('missing delivered, read after 600 ms');
  });

  it('sends every outbound type', async () => {
    for (const content of [
      { attachment: 'https://example.com/a.jpg' },
      { replies: 'Yes,No', text: 'Ok?' },
      { location: '3.1,101.6', text: 'KL' },
    ]) {
      const report = await send({ content, expect: ['sent', 'delivered'], scenario: 'delivered' });
      expect(report.ok, report.summary).toBe(true);
    }
  });

  it('--inbound follows the contact message into respond.io', async () => {
    const report = await send({ content: { text: 'Hello from the contact' }, inbound: true });
    expect(report.ok).toBe(true);
    expect(report.direction).toBe('inbound');
    expect(report.hops.map((h) => `${h.from}->${h.to}`)).toContain('provider->bridge');
    const stored = stack.emulator.listMessages({ traffic: 'incoming' }).map((m) => m.message);
    expect(stored).toContainEqual({ type: 'text', text: 'Hello from the contact' });
  });

  it('--live completes the same flow through the emulator /v2', async () => {
    stack.setScenario(to, 'read');
    const report = await runSend({
      live: true,
      to,
      content: { text: 'Through the Developer API' },
      expect: ['sent', 'delivered', 'read'],
      timeoutMs: 5000,
      devApi: {
        url: stack.emulator.devApiUrl,
        token: stack.emulator.devApiToken,
        channelId: stack.emulator.channel.numericId,
      },
    });
    expect(report.mode).toBe('live');
    expect(report.ok, report.summary).toBe(true);
    expect(report.mId).toMatch(/^msg_/);
    expect(report.statuses.map((s) => s.value)).toEqual(expect.arrayContaining(['sent', 'delivered', 'read']));
  });

  it('--live with a wrong Developer API token is a clear error', async () => {
    const sending = runSend({
      live: true,
      to,
      content: { text: 'x' },
      devApi: { url: stack.emulator.devApiUrl, token: 'wrong-token-123456', channelId: 1 },
    });
    await expect(sending).rejects.toThrow(/Developer API send: 401/);
  });
});
