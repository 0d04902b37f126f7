/**
 * End to end with the built bin in a freshly scaffolded generic-http project: `simulate --all
 * --json` passes every case, `send` exits by its expectation, and `demo` runs offline, exit 0.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaffold } from '../src/scaffold/index.js';
import { startLocalStack } from '../src/send/stack.js';

const bin = join(import.meta.dirname, '..', 'bin', 'custom-channel.js');
let folder: string;
let project: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'demo-e2e-'));
  project = (await scaffold({ dir: join(folder, 'shop-channel'), template: 'generic-http', install: false })).dir;
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

function runBin(
  args: string[],
  cwd: string,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      // A private TMPDIR so the test can check the demo cleans up after itself.
      env: { ...process.env, XDG_CONFIG_HOME: folder, TMPDIR: join(folder, 'tmp'), NO_COLOR: '1', ...extraEnv },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('built bin, offline', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(folder, 'tmp'), { recursive: true });
  });

  it('simulate --all --json passes every case against a fresh generic-http project', async () => {
    const { code, stdout, stderr } = await runBin(['simulate', '--all', '--json'], project);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as {
      ok: boolean;
      mode: string;
      eventsObserved: boolean;
      cases: Array<{ name: string; ok: boolean; events?: Array<{ type: string }> }>;
    };
    expect(report).toMatchObject({ ok: true, mode: 'local', eventsObserved: true });
    const names = report.cases.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['outbound/text', 'auth/wrong-token', 'provider/inbound-text']));
    expect(report.cases.find((c) => c.name === 'outbound/text')?.events?.[0]?.type).toBe('message_status');
    expect(report.cases.find((c) => c.name === 'provider/inbound-text')?.events?.[0]?.type).toBe('message');
  });

  it('send --scenario silent --timeout 3s exits 1 naming the missing statuses', async () => {
    const args = ['send', 'Hi', '--to', '+60177872890', '--scenario', 'silent', '--timeout', '3s'];
    const { code, stdout } = await runBin([...args, '--expect', 'sent,delivered,read'], project);
    expect(code).toBe(1);
    expect(stdout).toMatch(/missing: delivered, read \(never arrived\)/);
  });

  it('send --scenario failed --expect failed exits 0 and prints the reason', async () => {
    const args = ['send', 'Hi', '--to', '+60177872890', '--scenario', 'failed', '--expect', 'failed'];
    const { code, stdout } = await runBin(args, project);
    expect(code).toBe(0);
    expect(stdout).toMatch(/failed as expected .*: recipient unreachable/);
  });

  it('send --expect with an unknown status is a usage error (exit 2)', async () => {
    const { code, stderr } = await runBin(['send', 'Hi', '--to', '+60177872890', '--expect', 'seen'], project);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown status seen/);
  });

  it('send --live takes the Developer API settings from config (env) and follows the flow', async () => {
    const stack = await startLocalStack({ cwd: project, env: {} });
    try {
      const { code, stdout, stderr } = await runBin(
        ['send', 'Via the Developer API', '--to', '+60177872890', '--live', '--timeout', '10s'],
        folder,
        {
          RESPONDIO_API_URL: stack.emulator.devApiUrl,
          RESPONDIO_API_TOKEN: stack.emulator.devApiToken,
          RESPONDIO_API_CHANNEL_ID: String(stack.emulator.channel.numericId),
        },
      );
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(/you → respond\.io/);
      expect(stdout).toMatch(/sent, delivered, read: all arrived/);
      expect(stdout).not.toContain(stack.emulator.devApiToken);
    } finally {
      await stack.close();
    }
  });

  it('send --live without a Developer API token names the setting (exit 2)', async () => {
    const { code, stderr } = await runBin(['send', 'x', '--to', '+60177872890', '--live'], folder, {
      RESPONDIO_API_TOKEN: '',
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/--live needs dev-api-token/);
  });

  it('demo runs with no arguments outside any project, shows the flows and exits 0', async () => {
    const { code, stdout, stderr } = await runBin(['demo'], folder);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/delivered .*→ read/);
    expect(stdout).toMatch(/failed: recipient unreachable/);
    expect(stdout).toMatch(/contact → respond\.io/);
    expect(stdout).toMatch(/demo passed: 9 outbound \(1 failed on purpose, reason shown\), 3 inbound/);
    const left = (await readdir(join(folder, 'tmp'))).filter((n) => n.startsWith('custom-channel-'));
    expect(left).toEqual([]);
  });

  it('Ctrl-C during the demo exits 130 and leaves no temp folder behind', async () => {
    const tmp = join(folder, 'tmp-int');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(tmp, { recursive: true });
    const child = spawn(process.execPath, [bin, 'demo'], {
      cwd: folder,
      env: { ...process.env, XDG_CONFIG_HOME: folder, TMPDIR: tmp, NO_COLOR: '1' },
    });
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('sending')) child.kill('SIGINT');
      });
      child.on('close', (c) => resolve(c));
    });
    expect(code).toBe(130);
    expect(await readdir(tmp)).toEqual([]);
  });

  it('demo --json gives the summary as data', async () => {
    const { code, stdout } = await runBin(['demo', '--json'], folder);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      ok: boolean;
      outbound: number;
      inbound: number;
      failedAsExpected: number;
      steps: Array<{
        direction: string;
        label: string;
        report: { mId: string; hops: Array<{ from: string; to: string; label: string; detail?: string }> };
      }>;
    };
    expect(report).toMatchObject({ ok: true, outbound: 9, inbound: 3, failedAsExpected: 1 });
    // Sent together, to the same contact: each step carries its own provider call, no one else's.
    for (const step of report.steps.filter((s) => s.direction === 'outbound')) {
      const sends = step.report.hops.filter((h) => h.from === 'bridge' && h.to === 'provider');
      expect(sends, step.label).toHaveLength(1);
      const others = report.steps.filter((s) => s !== step && s.report.mId).map((s) => s.report.mId);
      expect(JSON.stringify(step.report.hops)).not.toMatch(new RegExp(others.map((id) => `"${id}"`).join('|')));
    }
    expect(existsSync(join(folder, 'tmp'))).toBe(true);
  });
});
