/** End to end: the built bin's `simulate --target` against deliberately broken servers. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BrokenKind, startBrokenServer, type TestServer } from './support/broken-servers.js';

const bin = join(import.meta.dirname, '..', 'bin', 'custom-channel.js');
let home: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'simulate-cli-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

function runBin(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: home,
      env: { ...process.env, XDG_CONFIG_HOME: home, NO_COLOR: '1', RESPONDIO_CHANNEL_TOKEN: '' },
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

interface JsonReport {
  ok: boolean;
  cases: Array<{ name: string; checks: Array<{ name: string; ok: boolean; message: string }> }>;
}

function failedChecks(report: JsonReport): string[] {
  return report.cases.flatMap((c) => c.checks.filter((k) => !k.ok).map((k) => `${c.name}:${k.name}`));
}

describe('simulate --all --target (built bin)', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function simulate(kind: BrokenKind, extra: string[] = []) {
    server = await startBrokenServer(kind);
    const args = ['simulate', '--all', '--target', server.url, '--token', server.token, '--auth-timeout', '400ms'];
    return runBin([...args, ...extra]);
  }

  it('passes a correct server with exit 0 and prints the summary', async () => {
    const { code, stdout } = await simulate('correct');
    expect(code).toBe(0);
    expect(stdout).toMatch(/12 passed, 0 failed/);
    expect(stdout).toMatch(/events reaching respond.io were not observed/);
  });

  it.each([
    ['no-mid', 'outbound/text:mid-shape'],
    ['hangs-on-wrong-token', 'auth/wrong-token:wrong-token'],
    ['html-stack-trace', 'invalid/unknown-type:error-body'],
  ] as const)('names the fault of %s (%s) and exits 1', async (kind, fault) => {
    const { code, stdout } = await simulate(kind, ['--json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as JsonReport;
    expect(report.ok).toBe(false);
    expect(failedChecks(report)).toContain(fault);
  });

  it('never prints the token unmasked', async () => {
    const { stdout } = await simulate('correct', ['--json']);
    expect(stdout).not.toContain('test-token-0123456789abcdef');
  });

  it('replays a user fixture file with placeholders and --override', async () => {
    server = await startBrokenServer('correct');
    const file = join(home, 'my-case.json');
    const body = { channelId: '{{channelId}}', contactId: '{{contactId}}', message: { type: 'text', text: 'x' } };
    await writeFile(file, JSON.stringify(body));
    const { code, stdout } = await runBin([
      'simulate',
      file,
      '--target',
      server.url,
      '--token',
      server.token,
      '--channel-id',
      'chan-9',
      '--override',
      'message.text=Hello {{contactId}}',
      '--json',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { cases: Array<{ name: string; request: { body: unknown } }> };
    expect(report.cases[0].name).toBe(file);
    expect(report.cases[0].request.body).toEqual({
      channelId: 'chan-9',
      contactId: '+60177872890',
      message: { type: 'text', text: 'Hello +60177872890' },
    });
  });

  it('needs a token for --target (usage error, exit 2)', async () => {
    const { code, stderr } = await runBin(['simulate', '--all', '--target', 'http://127.0.0.1:9']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--target needs the channel token/);
  });

  it('refuses an unknown case with a hint', async () => {
    const { code, stderr } = await runBin(['simulate', 'nope', '--target', 'http://127.0.0.1:9', '--token', 'x']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown case "nope"/);
  });
});
