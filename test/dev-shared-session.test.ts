/**
 * One dev session: with `dev --no-tunnel` running in a scaffolded project, `simulate --all`
 * and `send` (no flags about it) go through that dev, so its NDJSON console and its inspector
 * show them; with dev stopped the same commands pass on their own stack.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { type DevProcess, startDevProcess } from './support/dev-process.js';

let folder: string;
let root: string;
let dev: DevProcess | undefined;
const env = () => ({ XDG_CONFIG_HOME: join(folder, 'xdg'), RESPONDIO_CHANNEL_ID: '', RESPONDIO_CHANNEL_TOKEN: '' });

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cc-shared-session-'));
  root = join(folder, 'p');
  const init = await runCli(['init', root, '--template', 'generic-http', '--yes', '--no-install'], { env: env() });
  expect(init.code, init.stderr).toBe(0);
});
afterAll(async () => {
  await dev?.kill();
  await rm(folder, { recursive: true, force: true });
});

interface Entry {
  kind: string;
  exchange?: { leg: string; url: string; requestBody?: unknown };
}

describe('send and simulate inside a project with dev running', () => {
  it('use the running dev, which shows everything; without dev they run on their own stack', async () => {
    dev = startDevProcess(['--port', '0', '--no-tunnel'], { cwd: root, env: env() });
    const ready = await dev.waitFor((e) => e.type === 'banner', 20_000);
    const { inspectorUrl, bridgeUrl } = ready.banner as { inspectorUrl: string; bridgeUrl: string };
    const sessionFile = join(root, '.custom-channel', 'session.json');
    expect(statSync(sessionFile).mode & 0o777).toBe(0o600);

    const simulate = await runCli(['simulate', '--all'], { cwd: root, env: env(), timeoutMs: 30_000 });
    expect(simulate.code, simulate.stdout + simulate.stderr).toBe(0);
    expect(simulate.stdout.split('\n')[0]).toMatch(/^using the running dev session \(pid \d+, bridge http/);
    expect(simulate.stdout).toContain(bridgeUrl);
    expect(simulate.stdout).toMatch(/15 passed, 0 failed/);

    // The inspector lists every case's exchange with the bridge.
    const entries = (await (await fetch(new URL('api/entries', inspectorUrl))).json()) as Entry[];
    const urls = entries.filter((e) => e.kind === 'exchange' && e.exchange?.leg).map((e) => e.exchange?.url);
    const list = await runCli(['simulate', '--list', '--json'], { cwd: root, env: env() });
    const cases = JSON.parse(list.stdout) as Array<{ name: string; leg: string }>;
    const bridgeHits = urls.filter((u) => u === '/message' || u?.startsWith('/webhooks/')).length;
    expect(bridgeHits).toBeGreaterThanOrEqual(cases.length);

    const send = await runCli(
      ['send', 'Hello through dev', '--to', '+60177872890', '--expect', 'sent,delivered,read'],
      {
        cwd: root,
        env: env(),
        timeoutMs: 30_000,
      },
    );
    expect(send.code, send.stdout + send.stderr).toBe(0);
    expect(send.stdout.split('\n')[0]).toMatch(/^using the running dev session/);
    // dev's own NDJSON stream shows the message.
    await dev.waitFor((e) => e.type === 'exchange' && JSON.stringify(e).includes('Hello through dev'), 5000);

    dev.child.kill('SIGINT');
    await dev.exited;
    dev = undefined;
    expect(existsSync(sessionFile)).toBe(false);

    const alone = await runCli(['simulate', '--all'], { cwd: root, env: env(), timeoutMs: 30_000 });
    expect(alone.code, alone.stdout + alone.stderr).toBe(0);
    expect(alone.stdout).not.toContain('using the running dev session');
    const sendAlone = await runCli(['send', 'Hello alone', '--to', '+60177872890', '--expect', 'sent,delivered,read'], {
      cwd: root,
      env: env(),
      timeoutMs: 30_000,
    });
    expect(sendAlone.code, sendAlone.stdout + sendAlone.stderr).toBe(0);
    expect(sendAlone.stdout).not.toContain('using the running dev session');
  }, 120_000);
});
