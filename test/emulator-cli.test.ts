import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { type EmulateProcess, spawnEmulate } from './support/emulator-process.js';

// Needs the built bin: `npm test` (or `npm run build`) first.
let dir: string;
let running: EmulateProcess | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emulate-cli-'));
});
afterEach(async () => {
  if (running && running.child.exitCode === null) running.child.kill('SIGKILL');
  running = undefined;
  await rm(dir, { recursive: true, force: true });
});

const env = () => ({ XDG_CONFIG_HOME: join(dir, 'xdg') });

describe('custom-channel emulate', () => {
  it('prints the ready object as the first JSON line and stops on SIGINT within 2 s with 130', async () => {
    running = spawnEmulate(['--port', '0', '--json'], { cwd: dir, env: env() });
    const ready = JSON.parse(await running.nextLine());
    expect(ready).toMatchObject({
      type: 'ready',
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      webhookUrl: expect.stringMatching(/\/custom\/channel\/webhook\/$/),
      channel: {
        channelId: expect.stringMatching(/^[a-z0-9]{14}$/),
        idType: 'phone',
        token: expect.stringMatching(/^.{4}….{2}$/),
      },
    });
    const channels = await fetch(`${ready.url}/_emulator/channels`).then((r) => r.json());
    expect(channels.channels[0].channelId).toBe(ready.channel.channelId);
    // Credentials were kept in the user config folder (not a project), owner-only.
    const file = join(dir, 'xdg', 'custom-channel', 'emulator.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8')).channels[0].channelId).toBe(ready.channel.channelId);
    const started = Date.now();
    running.child.kill('SIGINT');
    expect(await running.exited).toBe(130);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('with --show-secrets, the token works and each event is one JSON line; SIGTERM exits 0', async () => {
    running = spawnEmulate(['--port', '0', '--json', '--show-secrets', '--id-type', 'custom'], {
      cwd: dir,
      env: env(),
    });
    const ready = JSON.parse(await running.nextLine());
    expect(ready.channel.token).toHaveLength(46);
    const res = await fetch(ready.webhookUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${ready.channel.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        channelId: ready.channel.channelId,
        contactId: 'user_1',
        events: [{ type: 'message', mId: 'cli-1', timestamp: Date.now(), message: { type: 'text', text: 'hi' } }],
      }),
    });
    expect(res.status).toBe(200);
    const types: string[] = [];
    for (let i = 0; i < 3; i++) types.push(JSON.parse(await running.nextLine()).type);
    expect(types).toEqual(['webhook.accepted', 'contact.created', 'message.inbound']);
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
  });

  it('prints the banner with masked secrets in human mode', async () => {
    running = spawnEmulate(['--port', '0', '--api-base-url', 'http://127.0.0.1:3000'], { cwd: dir, env: env() });
    const lines: string[] = [];
    for (let i = 0; i < 7; i++) lines.push(await running.nextLine());
    const text = lines.join('\n');
    expect(text).toMatch(/Webhook URL\s+http:\/\/127\.0\.0\.1:\d+\/custom\/channel\/webhook\//);
    expect(text).toMatch(/API token\s+.{4}….{2} \(--show-secrets/);
    expect(text).toMatch(/API Base URL\s+http:\/\/127\.0\.0\.1:3000/);
    const stored = JSON.parse(await readFile(join(dir, 'xdg', 'custom-channel', 'emulator.json'), 'utf8'));
    expect(text).not.toContain(stored.channels[0].token);
    expect(text).not.toContain(stored.devApiToken);
    running.child.kill('SIGINT');
    expect(await running.exited).toBe(130);
  });

  it('rejects bad flags with exit 2', async () => {
    const result = await runCli(['emulate', '--port', 'abc'], { cwd: dir, env: env() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--port/);
    const rate = await runCli(['emulate', '--failure-rate', '3'], { cwd: dir, env: env() });
    expect(rate.code).toBe(2);
    expect(rate.stderr).toMatch(/failure-rate/);
  });
});

describe('emulate banner', () => {
  it('links only to routes that exist', async () => {
    const proc = spawnEmulate(['--port', '0'], { cwd: dir, env: env() });
    try {
      const lines: string[] = [];
      for (let line = await proc.nextLine(); !line.startsWith('Ctrl-C'); line = await proc.nextLine()) lines.push(line);
      const banner = lines.join('\n');
      const urls = [...banner.matchAll(/https?:\/\/[^\s)]+/g)].map((m) => m[0]);
      expect(urls.length).toBeGreaterThanOrEqual(5);
      for (const url of urls) {
        if (url.includes('<')) {
          // A route template: its shape must exist (POST with a real identifier answers, not 404).
          const res = await fetch(url.replace('<identifier>', 'phone:+60177872890'), { method: 'POST', body: '{}' });
          expect(res.status, url).not.toBe(404);
          continue;
        }
        const line = lines.find((l) => l.includes(url)) ?? '';
        const res = await fetch(url, line.includes('(POST') ? { method: 'POST', body: '{}' } : {});
        expect(res.status, url).not.toBe(404);
        await res.body?.cancel();
      }
    } finally {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
  });
});
