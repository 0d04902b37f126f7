/**
 * The two newest templates pass the offline checks every template passes: `simulate --all` and
 * `send --expect` against their stand-ins (Gupshup's recorded callbacks; webchat's simulated
 * visitors), run through the built CLI's library (dist/, so the templates' `custom-channel`
 * import resolves to the built package instead of jiti transpiling src/).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaffold } from '../dist/scaffold/index.js';
import { runSend } from '../dist/send/run.js';
import { startLocalStack } from '../dist/send/stack.js';
import { runSimulate } from '../dist/simulate/run.js';

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'templates-offline-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

const project = async (template: string, name: string) =>
  (await scaffold({ dir: join(folder, name), template, install: false })).dir;

describe.each(['gupshup-whatsapp', 'webchat'])('%s offline', { timeout: 60_000 }, (template) => {
  it('passes simulate --all', async () => {
    const report = await runSimulate({ all: true, cwd: await project(template, `${template}-sim`), env: {} });
    const failed = report.cases
      .filter((c) => !c.ok)
      .map(
        (c) =>
          `${c.name}: ${c.checks
            .filter((k) => !k.ok)
            .map((k) => k.message)
            .join('; ')}`,
      );
    expect(failed).toEqual([]);
    expect(report.cases.some((c) => c.name.startsWith('provider/'))).toBe(true);
  });

  it('passes send --expect sent,delivered,read', async () => {
    const report = await runSend({
      cwd: await project(template, `${template}-send`),
      env: {},
      content: { text: 'Your order has shipped' },
      expect: ['sent', 'delivered', 'read'],
      timeoutMs: 10_000,
    });
    expect(report.ok, report.summary).toBe(true);
  });
});

describe('webchat offline scenarios', { timeout: 60_000 }, () => {
  it('a closed page (silent) leaves the message sent; a page cannot fail a message', async () => {
    const stack = await startLocalStack({ cwd: await project('webchat', 'webchat-scenarios'), env: {} });
    try {
      const silent = await runSend({
        stack,
        to: '100200301',
        content: { text: 'x' },
        scenario: 'silent',
        expect: ['sent', 'delivered'],
        timeoutMs: 1500,
      });
      expect(silent.ok).toBe(false);
      expect(silent.analysis.missing).toEqual(['delivered']);
      expect(() => stack.setScenario('100200302', 'failed')).toThrow(/cannot play "failed"/);
    } finally {
      await stack.close();
    }
  });
});
