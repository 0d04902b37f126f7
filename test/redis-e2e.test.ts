/**
 * End to end on Redis, with real processes: three `custom-channel start --redis` bridges on
 * one redis-server (AOF, fsync always), the emulator as respond.io (20 requests per rolling
 * second, 429 beyond), and a provider sending each contact's messages in order, 30% of them
 * to an instance that is not the contact's usual one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBridgeProject, killBridge, waitUntil } from './support/bridge-project.js';
import { maxInWindow } from './support/bridge-respondio-stub.js';
import { useCleanups } from './support/cleanups.js';
import {
  buildConversations,
  outOfOrder,
  sendConversations,
  startFleet,
  startRecordingEmulator,
  tally,
} from './support/redis-fleet.js';
import { REDIS_SKIP_NOTE, requireRedisServer, startRedisServer } from './support/redis-server.js';

const defer = useCleanups('each');
const run = requireRedisServer();

async function setUp(instances: number) {
  const redis = await startRedisServer();
  defer(() => redis.close());
  const stateDir = await mkdtemp(join(tmpdir(), 'redis-e2e-emu-'));
  defer(() => rm(stateDir, { recursive: true, force: true }));
  const respondio = await startRecordingEmulator(stateDir);
  defer(() => respondio.emulator.close());
  const root = await createBridgeProject();
  defer(() => rm(root, { recursive: true, force: true }));
  const fleet = await startFleet(root, respondio.emulator.webhookUrl, redis.url, instances);
  defer(() => Promise.all(fleet.bridges.map((b) => killBridge(b))));
  return { redis, respondio, fleet };
}

describe.runIf(run)(`Redis outbox end to end${REDIS_SKIP_NOTE}`, () => {
  it('3 instances, 3,000 events, one killed with -9 mid-burst and restarted: none lost, order held, never over 20/s', async () => {
    const { respondio, fleet } = await setUp(3);
    const conversations = buildConversations(30, 100);
    let killedAt = -1;
    let killing: Promise<void> | undefined;
    const sent = await sendConversations(fleet.urls, conversations, {
      onAccepted: (accepted) => {
        if (killedAt < 0 && accepted >= 1200) {
          killedAt = respondio.accepted().length;
          killing = fleet.kill(1).then(() => fleet.restart(1));
        }
      },
    });
    await killing;
    expect(killedAt).toBeGreaterThan(0);
    expect(fleet.bridges[1].child.pid).toBeDefined();
    expect(sent.wrongInstance).toBeGreaterThan(700);
    await waitUntil(
      () => tally(respondio.accepted(), conversations).missing === 0,
      60_000,
      () => JSON.stringify(tally(respondio.accepted(), conversations)),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const accepted = respondio.accepted();
    const result = tally(accepted, conversations);
    expect(result.missing).toBe(0);
    expect(result.distinct).toBe(3000);
    // Posts in flight at the kill (at most concurrency 4, up to 10 events each) are resent.
    const repeatedPosts = accepted.filter((post, i) =>
      accepted.slice(0, i).some((p) => p.contactId === post.contactId && p.mIds.includes(post.mIds[0])),
    ).length;
    expect(repeatedPosts, `repeated posts ${repeatedPosts}, duplicate events ${result.duplicates}`).toBeLessThanOrEqual(
      4,
    );
    expect(result.duplicates).toBeLessThanOrEqual(40);
    expect(outOfOrder(accepted, conversations)).toEqual([]);
    expect(respondio.rejected(429)).toBe(0);
    expect(maxInWindow(respondio.posts.map((p) => p.at))).toBeLessThanOrEqual(20);
    // Batches: far fewer posts than events.
    expect(accepted.length).toBeLessThan(1000);
    for (const bridge of fleet.bridges) bridge.child.kill('SIGTERM');
    expect(await Promise.all(fleet.bridges.map((b) => b.exited))).toEqual([0, 0, 0]);
  }, 120_000);

  it('Redis killed and restarted mid-run: providers get 503 meanwhile, /ready says why, nothing is lost', async () => {
    const { redis, respondio, fleet } = await setUp(2);
    const conversations = buildConversations(10, 60);
    let outage: Promise<unknown> | undefined;
    let whileDown: { status: number; body: { reasons?: string[] } } | undefined;
    const sent = await sendConversations(fleet.urls, conversations, {
      onAccepted: (accepted) => {
        if (outage || accepted < 200) return;
        outage = (async () => {
          await redis.kill();
          await new Promise((resolve) => setTimeout(resolve, 300));
          const response = await fetch(`${fleet.urls[0]}/ready`);
          whileDown = { status: response.status, body: (await response.json()) as { reasons?: string[] } };
          await new Promise((resolve) => setTimeout(resolve, 1200));
          await redis.restart();
        })();
      },
    });
    await outage;
    expect(sent.statuses.get(503) ?? 0).toBeGreaterThan(0);
    expect(sent.statuses.get(500) ?? 0).toBe(0);
    expect(whileDown?.status).toBe(503);
    expect(whileDown?.body.reasons?.join('; ')).toMatch(/outbox cannot record events: Redis unreachable/);
    await waitUntil(
      () => tally(respondio.accepted(), conversations).missing === 0,
      60_000,
      () => JSON.stringify(tally(respondio.accepted(), conversations)),
    );
    const result = tally(respondio.accepted(), conversations);
    expect(result).toMatchObject({ missing: 0, distinct: 600 });
    expect(outOfOrder(respondio.accepted(), conversations)).toEqual([]);
    expect(respondio.rejected(429)).toBe(0);
    // Ready again once Redis is back (the next claim succeeds within a poll).
    const ready = await fetch(`${fleet.urls[0]}/ready`);
    expect(ready.status, JSON.stringify(await ready.clone().json())).toBe(200);
  }, 120_000);
});
