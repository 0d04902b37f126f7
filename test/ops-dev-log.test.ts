/**
 * The adapter's `ctx.log` reaches the developer: the generic template's "PROVIDER_WEBHOOK_SECRET
 * is not set" warning appears in `dev`'s console and as an NDJSON `log` event under `--json`
 * (dev with a configured channel, here the emulator standing in for respond.io, so no mock
 * provider supplies the secret).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import { scaffold } from '../src/scaffold/index.js';
import { useCleanups } from './support/cleanups.js';
import { BIN } from './support/cli.js';

const defer = useCleanups('each');
const WARNING = 'PROVIDER_WEBHOOK_SECRET is not set';

async function setUp() {
  const folder = await mkdtemp(join(tmpdir(), 'ops-dev-log-'));
  defer(() => rm(folder, { recursive: true, force: true }));
  const { dir } = await scaffold({ dir: join(folder, 'acme'), template: 'generic-http', install: false });
  const emulator = await startEmulator({ port: 0, stateDir: join(folder, 'emulator') });
  defer(() => emulator.close());
  const env = {
    ...process.env,
    NO_COLOR: '1',
    XDG_CONFIG_HOME: join(folder, 'config'),
    RESPONDIO_CHANNEL_ID: emulator.channel.channelId,
    RESPONDIO_CHANNEL_TOKEN: emulator.channel.token,
    RESPONDIO_WEBHOOK_URL: emulator.webhookUrl,
    PROVIDER_WEBHOOK_SECRET: '',
  };
  return { dir, env };
}

/** Runs dev, returns its output so far and the bridge URL (from the human or the JSON output). */
function runDev(dir: string, env: NodeJS.ProcessEnv, json: boolean) {
  const args = [BIN, ...(json ? ['--json'] : []), 'dev', '--no-tunnel', '--no-inspector', '--port', '0'];
  const child: ChildProcess = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  defer(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const until = async (pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> => {
    const started = Date.now();
    for (;;) {
      const match = pattern.exec(out);
      if (match) return match;
      if (Date.now() - started > timeoutMs) throw new Error(`no ${pattern} in:\n${out}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGINT');
    });
  return { output: () => out, until, stop };
}

it('shows the adapter warning in the console and as a log event with --json', async () => {
  const { dir, env } = await setUp();
  for (const json of [false, true]) {
    const dev = runDev(dir, env, json);
    const [, url] = await dev.until(json ? /"bridgeUrl":"(http:\/\/[^"]+)"/ : /Bridge\s+(http:\/\/\S+)/);
    const response = await fetch(`${url}/webhooks/provider`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-provider-signature': 'sha256=00' },
      body: JSON.stringify({ kind: 'inbound', messageId: 'm-1' }),
    });
    expect(response.status).toBe(401);
    if (json) {
      await dev.until(/"type":"log"[^\n]*PROVIDER_WEBHOOK_SECRET is not set/);
      const line = dev
        .output()
        .split('\n')
        .find((l) => l.includes(WARNING));
      expect(JSON.parse(line ?? '{}')).toMatchObject({ type: 'log', level: 'warn' });
    } else {
      const [line] = await dev.until(/^.*PROVIDER_WEBHOOK_SECRET is not set.*$/m);
      expect(line).toMatch(/^\d\d:\d\d:\d\d {2}warn {3}PROVIDER_WEBHOOK_SECRET is not set/);
    }
    await dev.stop();
  }
}, 40_000);
