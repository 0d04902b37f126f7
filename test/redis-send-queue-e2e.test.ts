import { afterAll, describe, expect, it } from 'vitest';
import type { OutgoingMessageRecord } from '../src/emulator/types.js';
import { killBridge, spawnBridge } from './support/bridge-project.js';
import { useCleanups } from './support/cleanups.js';
import { removeTempDirs } from './support/init-helpers.js';
import { REDIS_SKIP_NOTE, requireRedisServer, startRedisServer } from './support/redis-server.js';
import { startRoundRobin } from './support/round-robin.js';
import { configureSending, contactOf, settleSends, startSendQueueStack, textOf } from './support/send-queue-stack.js';

const defer = useCleanups('each');
afterAll(removeTempDirs);
const run = requireRedisServer();

const OUTAGE_MS = 8000;
const CONTACTS = 20;
const PER_CONTACT = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(run)(`send queue on Redis end to end${REDIS_SKIP_NOTE}`, () => {
  it('3 instances, provider down, one killed with -9 mid-outage: every accepted message reaches the provider, in order, statuses under its mId', async () => {
    const redis = await startRedisServer();
    defer(() => redis.close());
    // Callbacks keep trying while an instance is gone (a real provider retries its webhooks too).
    const stack = await startSendQueueStack({ mockRetries: 40 });
    const { emulator, mock, project } = stack;
    defer(() => emulator.close());
    defer(() => mock.close());
    await configureSending(stack, { budgetMs: 1500, retryMaxMs: 1000 });
    // No --state-dir: the three share the project's folder, which only works if nothing locks it.
    const args = ['--rate-limit', '1000', '--redis', redis.url];
    const bridges = [0, 1, 2].map(() => spawnBridge(project, emulator.webhookUrl, args, emulator.channel));
    for (const bridge of bridges) defer(() => killBridge(bridge));
    const balancer = await startRoundRobin(await Promise.all(bridges.map((b) => b.url)));
    defer(() => balancer.close());
    emulator.setApiBaseUrl(balancer.url);
    mock.setCallbackBase(balancer.url);

    await mock.setFault({ mode: '503', ms: OUTAGE_MS });
    const outageEnds = Date.now() + OUTAGE_MS;
    const records: OutgoingMessageRecord[] = [];
    // respond.io sends each contact's messages one after another, a little apart, all contacts at once.
    const sending = Promise.all(
      Array.from({ length: CONTACTS }, async (_, c) => {
        for (let m = 0; m < PER_CONTACT; m += 1) {
          const message = { type: 'text' as const, text: textOf(c, m) };
          records.push(await emulator.sendMessage({ contactId: contactOf(c), message }));
          await sleep(250);
        }
      }),
    );
    await sleep(OUTAGE_MS * 0.4);
    const answeredAtKill = records.length;
    balancer.upstreams[1] = undefined;
    await killBridge(bridges[1]);
    const killedAt = Date.now();
    await sending;
    expect(killedAt).toBeLessThan(outageEnds);
    expect(answeredAtKill).toBeGreaterThan(0);
    expect(answeredAtKill).toBeLessThan(CONTACTS * PER_CONTACT);

    const { accepted, refused, mIds, verdict } = await settleSends(emulator, mock, records, OUTAGE_MS + 30_000);
    console.log(
      `kill -9 after ${answeredAtKill} answers; ${accepted.length} accepted, ${refused.length} answered with an error; ` +
        `provider: ${verdict.sends} distinct, ${verdict.duplicates} repeated deliveries (deduplicated by key); /message and callbacks per instance: ${balancer.counts.join(', ')}`,
    );
    expect(verdict.missing).toBe(0);
    expect(verdict.outOfOrder).toEqual([]);
    // Only a try in flight on the killed instance can be repeated (16 at once at most).
    expect(verdict.duplicates).toBeLessThanOrEqual(16);
    // Only the /message calls in flight on the killed instance (one per contact at most) got an error,
    // and of those only the ones it had queued before dying may still have gone out.
    expect(refused.length).toBeLessThanOrEqual(CONTACTS);
    expect(verdict.sends - accepted.length).toBeLessThanOrEqual(refused.length);
    for (const mId of mIds) {
      const record = emulator.findByMId(emulator.channel.channelId, mId);
      const reported = record?.statuses.filter((s) => s.source === 'webhook').map((s) => s.value);
      expect(reported, mId).toEqual(['sent', 'delivered', 'read']);
    }
    // The queue was shared: the surviving instances each sent queued messages, including ones
    // another instance had queued (with 2 live of 3, most callbacks reach an instance that did not send).
    const sentBy = [0, 2].map((i) => bridges[i].logs.filter((line) => line.includes('"queued message sent"')).length);
    expect(
      sentBy.every((n) => n > 0),
      `queued sends per live instance: ${sentBy.join(', ')}`,
    ).toBe(true);
    expect(sentBy[0] + sentBy[1]).toBeGreaterThanOrEqual(accepted.length - 16);
    for (const i of [0, 2]) bridges[i].child.kill('SIGTERM');
    expect(await Promise.all([bridges[0].exited, bridges[2].exited])).toEqual([0, 0]);
  }, 60_000);
});
