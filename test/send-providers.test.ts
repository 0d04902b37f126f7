/** `send` offline for the real-provider templates, from their recorded fixtures. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaffold } from '../src/scaffold/index.js';
import { runSend } from '../src/send/run.js';
import { startLocalStack } from '../src/send/stack.js';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'send-providers-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function project(template: string) {
  const { dir } = await scaffold({ dir: join(folder, template), template, install: false });
  return dir;
}

describe('send offline from recorded fixtures', { timeout: 60_000 }, () => {
  it('clicksend-sms: sent then delivered from the recorded receipt; failed carries its reason', async () => {
    const stack = await startLocalStack({ cwd: await project('clicksend-sms'), env: {} });
    try {
      const ok = await runSend({ stack, to: '+60177872890', content: { text: 'Your code is 1234' }, timeoutMs: 5000 });
      expect(ok.analysis.expected).toEqual(['sent', 'delivered']);
      expect(ok.ok, ok.summary).toBe(true);
      expect(ok.hops.some((h) => h.from === 'bridge' && h.to === 'provider')).toBe(true);

      const failed = await runSend({
        stack,
        to: '+60177872891',
        content: { text: 'x' },
        scenario: 'failed',
        expect: ['failed'],
        timeoutMs: 5000,
      });
      expect(failed.ok, failed.summary).toBe(true);
      expect(failed.analysis.failedReason).toMatch(/unreachable/);
    } finally {
      await stack.close();
    }
  });

  it('gupshup-whatsapp: sent, delivered, read from the recorded message-events; failed carries the reason', async () => {
    const stack = await startLocalStack({ cwd: await project('gupshup-whatsapp'), env: {} });
    try {
      const ok = await runSend({
        stack,
        to: '+60177872890',
        content: { text: 'Your order has shipped' },
        timeoutMs: 5000,
      });
      expect(ok.analysis.expected).toEqual(['sent', 'delivered', 'read']);
      expect(ok.ok, ok.summary).toBe(true);
      // The callback URL's secret never shows in what send reports.
      expect(JSON.stringify(ok.hops)).not.toContain(stack.env.GUPSHUP_WEBHOOK_SECRET);
      const failed = await runSend({
        stack,
        to: '+60177872891',
        content: { text: 'x' },
        scenario: 'failed',
        expect: ['failed'],
        timeoutMs: 5000,
      });
      expect(failed.ok, failed.summary).toBe(true);
      expect(failed.analysis.failedReason).toMatch(/Number Does Not Exists On WhatsApp \(Gupshup code 1002\)/);
    } finally {
      await stack.close();
    }
  });

  it('telegram-bot: the contact writes first (Custom ID), then only sent is expected', async () => {
    const stack = await startLocalStack({ cwd: await project('telegram-bot'), env: {} });
    try {
      const lines: string[] = [];
      const report = await runSend({
        stack,
        to: '100200300',
        content: { text: 'Hello from respond.io' },
        timeoutMs: 5000,
        onStart: (line) => lines.push(line),
      });
      expect(lines[0]).toMatch(/writes first/);
      expect(report.analysis.expected).toEqual(['sent']);
      expect(report.ok, report.summary).toBe(true);
      expect(report.hops.map((h) => `${h.from}->${h.to}`)).toContain('bridge->provider');
    } finally {
      await stack.close();
    }
  });
});
