/**
 * `custom-channel outbox --redis` and `start --redis` from the built bin: the shared queue
 * listed, retried and purged, the shared send queue listed; bad URLs and unreachable or evicting Redis refused in one line.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { openRedisOutbox } from '../src/outbox/redis-outbox.js';
import { openRedisSendQueue } from '../src/send-queue/redis-queue.js';
import { createBridgeProject, E2E_CHANNEL } from './support/bridge-project.js';
import { useCleanups } from './support/cleanups.js';
import { runCli } from './support/cli.js';
import { startDevProcess } from './support/dev-process.js';
import { createDevProject } from './support/dev-project.js';
import { freePort, REDIS_SKIP_NOTE, requireRedisServer, startRedisServer } from './support/redis-server.js';

const defer = useCleanups('each');
const run = requireRedisServer();

const event = (mId: string) => ({
  contactId: '+60177872890',
  event: { type: 'message' as const, mId, timestamp: 1767225600000, message: { type: 'text' as const, text: mId } },
});

async function project() {
  const root = await createBridgeProject();
  defer(() => rm(root, { recursive: true, force: true }));
  const env = {
    XDG_CONFIG_HOME: join(root, '.config'),
    RESPONDIO_CHANNEL_ID: E2E_CHANNEL.channelId,
    RESPONDIO_CHANNEL_TOKEN: E2E_CHANNEL.token,
  };
  return { root, env };
}

describe.runIf(run)(`outbox and start with --redis${REDIS_SKIP_NOTE}`, () => {
  it('lists, retries and purges the shared queue (URL from CUSTOM_CHANNEL_REDIS_URL too)', async () => {
    const redis = await startRedisServer();
    defer(() => redis.close());
    const outbox = await openRedisOutbox({ url: redis.url, channelId: E2E_CHANNEL.channelId });
    defer(() => outbox.close());
    await outbox.enqueue([event('pending-1')]);
    await outbox.enqueue([event('dead-1')], { deadLetter: 'respond.io answered 400: contactId invalid' });
    await outbox.enqueue([event('dead-2')], { deadLetter: 'respond.io answered 401: unauthorized' });
    const { root, env } = await project();
    const listed = await runCli(['outbox', '--redis', redis.url], { cwd: root, env });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('pending: 1');
    expect(listed.stdout).toContain('dead letters: 2');
    expect(listed.stdout).toContain('respond.io answered 401: unauthorized');
    const viaEnv = { ...env, CUSTOM_CHANNEL_REDIS_URL: redis.url };
    const json = JSON.parse((await runCli(['outbox', 'list', '--dead', '--json'], { cwd: root, env: viaEnv })).stdout);
    const dead1 = json.dead.find((e: { item: { event: { mId: string } } }) => e.item.event.mId === 'dead-1');
    const retried = await runCli(['outbox', 'retry', dead1.id], { cwd: root, env: viaEnv });
    expect(retried.code, retried.stderr).toBe(0);
    expect((await outbox.list('pending')).map((e) => e.item.event.mId)).toEqual(['pending-1', 'dead-1']);
    const missing = await runCli(['outbox', 'retry', '999999'], { cwd: root, env: viaEnv });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no dead letter with id 999999');
    expect((await runCli(['outbox', 'purge', '--pending'], { cwd: root, env: viaEnv })).code).toBe(0);
    expect(await outbox.list('pending')).toEqual([]);
    expect((await outbox.list('dead')).map((e) => e.item.event.mId)).toEqual(['dead-2']);
  }, 120_000);

  it('lists the shared send queue: queued sends and failed ones, whichever instance queued them', async () => {
    const redis = await startRedisServer();
    defer(() => redis.close());
    const queue = await openRedisSendQueue({ url: redis.url, channelId: E2E_CHANNEL.channelId, maxAttempts: 1 });
    defer(() => queue.close());
    const send = (contactId: string, text: string, nextAt: number) =>
      queue.enqueue({
        id: `cc-${text}`,
        seq: 0,
        input: { channelId: E2E_CHANNEL.channelId, contactId, message: { type: 'text', text } },
        receivedAt: Date.now(),
        attempts: 1,
        nextAt,
      });
    await send('+60177872890', 'waiting', Date.now() + 3_600_000);
    await send('+60111111111', 'gone', Date.now());
    queue.start(async (s) => ({ ok: false, retry: false, error: `refused ${s.contactId}` }));
    while ((await queue.list('dead')).length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const { root, env } = await project();
    const text = await runCli(['outbox', 'list', '--sends', '--redis', redis.url], { cwd: root, env });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/queued sends \(waiting for the provider\): 1\n {2}cc-waiting .* 1 tries {2}next try/);
    expect(text.stdout).toMatch(
      /failed sends \(reported failed to respond.io\): 1\n {2}cc-gone[^\n]*\n {4}the provider refused it: refused \+60111111111/,
    );
    const viaEnv = { ...env, CUSTOM_CHANNEL_REDIS_URL: redis.url };
    const json = JSON.parse((await runCli(['outbox', 'list', '--json'], { cwd: root, env: viaEnv })).stdout);
    expect(json.sends.pending.map((s: { id: string }) => s.id)).toEqual(['cc-waiting']);
    expect(json.sends.dead.map((s: { id: string }) => s.id)).toEqual(['cc-gone']);
  }, 60_000);

  it('start refuses a bad URL, an unreachable Redis and an evicting one, each in one line without a stack', async () => {
    const { root, env } = await project();
    const bad = await runCli(['start', '--port', '0', '--redis', 'http://x:1'], { cwd: root, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--redis: not a Redis URL/);
    const port = await freePort();
    const down = await runCli(['start', '--port', '0', '--redis', `redis://:hunter2-secret@127.0.0.1:${port}`], {
      cwd: root,
      env,
    });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*\*@127\.0\.0\.1/);
    expect(down.stderr).not.toContain('hunter2');
    const redis = await startRedisServer({ args: ['--maxmemory', '50mb', '--maxmemory-policy', 'allkeys-lru'] });
    defer(() => redis.close());
    const evicting = await runCli(['start', '--port', '0'], {
      cwd: root,
      env: { ...env, CUSTOM_CHANNEL_REDIS_URL: redis.url },
    });
    expect(evicting.code).toBe(1);
    expect(evicting.stderr).toMatch(/refusing redis:\/\/127\.0\.0\.1:\d+: maxmemory-policy is allkeys-lru/);
    for (const result of [bad, down, evicting]) expect(result.stderr).not.toMatch(/\n\s+at /);
    // Nothing was written to the refused Redis.
    const admin = new Redis(redis.url);
    defer(() => admin.quit());
    expect(await admin.dbsize()).toBe(0);
  }, 120_000);

  it('dev --redis runs its bridge on the shared Redis outbox', async () => {
    const redis = await startRedisServer();
    defer(() => redis.close());
    const project = await createDevProject({ template: 'custom' });
    defer(() => rm(project.root, { recursive: true, force: true }));
    const env = { XDG_CONFIG_HOME: join(project.root, '.config') };
    const dev = startDevProcess(['--port', '0', '--no-tunnel', '--no-inspector', '--redis', redis.url], {
      cwd: project.root,
      env,
    });
    defer(() => dev.kill());
    const banner = await dev.waitFor((e) => e.type === 'banner', 20_000);
    expect(banner).toBeDefined();
    const admin = new Redis(redis.url);
    defer(() => admin.quit());
    // The dev bridge holds a connection and polls the channel's ready set.
    const clients = String(await admin.client('LIST'))
      .trim()
      .split('\n');
    expect(clients.length).toBeGreaterThanOrEqual(2);
    expect(clients.some((line) => /cmd=(evalsha|eval)/.test(line))).toBe(true);
  }, 40_000);
});
