/**
 * The sending leg end to end, in-process: the real emulator sends through a bridge running the
 * scaffolded generic-http adapter to the mock provider, which goes down. Every message
 * respond.io handed over must reach the provider exactly once (by idempotency key), in
 * per-contact order, with every status under the mId respond.io was given.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Adapter } from '../src/bridge/adapter.js';
import { type BridgeHandle, startBridge } from '../src/bridge/index.js';
import type { StartBridgeOptions } from '../src/bridge/options.js';
import { loadAdapter, loadProject } from '../src/project.js';
import { waitUntil } from './support/bridge-project.js';
import { useCleanups } from './support/cleanups.js';
import { removeTempDirs } from './support/init-helpers.js';
import {
  contactOf,
  judgeProvider,
  type SendQueueStack,
  sendMany,
  startSendQueueStack,
  unread,
} from './support/send-queue-stack.js';

const defer = useCleanups('each');
afterAll(removeTempDirs);
let adapterOnce: Promise<Adapter> | undefined;

/** The outage of the main test: 30 s as the issue asks; SENDQ_OUTAGE_MS shortens it locally. */
const OUTAGE_MS = Number(process.env.SENDQ_OUTAGE_MS ?? 30_000);

async function setUp(
  bridgeOptions: Partial<StartBridgeOptions> = {},
  given?: SendQueueStack,
  env: Record<string, string> = {},
): Promise<SendQueueStack & { bridge: BridgeHandle }> {
  const stack = given ?? (await startSendQueueStack());
  defer(() => stack.emulator.close());
  defer(() => stack.mock.close());
  // Loaded once per file: jiti compiles the adapter and the custom-channel sources it imports.
  adapterOnce ??= loadAdapter(loadProject(stack.project, {}).adapterPath);
  const bridge = await startBridge({
    adapter: await adapterOnce,
    channel: { ...stack.emulator.channel, idType: 'phone' },
    respondio: { webhookUrl: stack.emulator.webhookUrl },
    env: { ...stack.mock.env, ...env },
    stateDir: join(stack.root, 'state'),
    // Delivery guarantees are tested here, not respond.io's 20/s (bridge-rate.test.ts does that).
    rateLimitPerSecond: 1000,
    sendTimeoutMs: 2000,
    ...bridgeOptions,
  });
  // Closed before the emulator and mock: cleanups run last-in, first-out.
  defer(() => bridge.close());
  stack.emulator.setApiBaseUrl(bridge.url);
  stack.mock.setCallbackBase(bridge.url);
  return { ...stack, bridge };
}

describe('send queue end to end (real emulator, mock provider outage)', () => {
  it(
    `provider down ${OUTAGE_MS / 1000} s while 500 messages arrive from 50 contacts: each reaches it once, in order, read under its mId`,
    async () => {
      const { emulator, mock, bridge } = await setUp({
        sendQueue: { backoff: { baseMs: 500, maxMs: 2000 } },
      });
      await mock.setFault({ mode: '503', ms: OUTAGE_MS });
      const started = Date.now();
      const records = await sendMany(emulator, 50, 10);
      const answeredIn = Date.now() - started;
      // respond.io got an answer for each within the emulator's 10 s timeout, and it was 200.
      expect(records.filter((r) => r.status === 'failed').map((r) => r.error)).toEqual([]);
      if (answeredIn < OUTAGE_MS - 1000) {
        // All answered while the provider was still down: every one of them is in the queue.
        expect(bridge.app.bridge.sendQueue?.stats().pending).toBe(500);
        expect(mock.sends()).toHaveLength(0);
      }
      const mIds = records.map((r) => r.mId as string);
      expect(new Set(mIds).size).toBe(500);
      expect(mIds.every((mId) => mId.length <= 50)).toBe(true);

      await waitUntil(
        () => unread(emulator, mIds).length === 0,
        OUTAGE_MS + 30_000,
        () =>
          `${unread(emulator, mIds).length} not read; queue ${JSON.stringify(bridge.app.bridge.sendQueue?.stats())}`,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(OUTAGE_MS);
      expect(judgeProvider(mock, records)).toEqual({ sends: 500, missing: 0, duplicates: 0, outOfOrder: [] });
      for (const mId of mIds) {
        const record = emulator.findByMId(emulator.channel.channelId, mId);
        // The emulator's own `sent` (the 200 answer), then what the bridge reported under the same mId.
        const reported = record?.statuses.filter((s) => s.source === 'webhook').map((s) => s.value);
        expect(reported).toEqual(['sent', 'delivered', 'read']);
      }
      expect(emulator.events().filter((e) => e.type === 'anomaly')).toEqual([]);
      expect(mock.refused()).toBeGreaterThanOrEqual(50);
    },
    OUTAGE_MS + 45_000,
  );

  it('a provider that refuses (4xx) is answered at once, never retried', async () => {
    const stack = await startSendQueueStack();
    const { emulator, mock, bridge } = await setUp({}, stack, { PROVIDER_API_KEY: 'not-the-key' });
    const started = Date.now();
    const record = await emulator.sendMessage({ contactId: contactOf(1), message: { type: 'text', text: 'hi' } });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(record.status).toBe('failed');
    // The provider's 401 (our key) reaches respond.io as a 400 refusal, not as its own token being wrong.
    expect(record.error).toMatch(/provider answered 401: unauthorized/);
    expect(mock.refused()).toBe(0);
    expect(mock.sends()).toHaveLength(0);
    expect(bridge.app.bridge.sendQueue?.stats()).toMatchObject({ pending: 0, dead: 0 });
  });

  it('a provider down past the maximum age: failed status with the reason, and a dead letter', async () => {
    const { emulator, mock, bridge } = await setUp({
      sendTimeoutMs: 300,
      sendQueue: { maxAgeMs: 1500, backoff: { baseMs: 100, maxMs: 300 } },
    });
    await mock.setFault({ mode: '503', ms: 60_000 });
    const record = await emulator.sendMessage({ contactId: contactOf(2), message: { type: 'text', text: 'hello' } });
    expect(record.status).toBe('sent');
    const mId = record.mId as string;
    await waitUntil(
      () => emulator.findByMId(emulator.channel.channelId, mId)?.statuses.some((s) => s.value === 'failed') === true,
      10_000,
      () => JSON.stringify(emulator.findByMId(emulator.channel.channelId, mId)?.statuses),
    );
    const failed = emulator.findByMId(emulator.channel.channelId, mId);
    expect(failed?.statuses.at(-1)?.message).toMatch(
      /^not sent within 1.5 s \(\d+ tries\); last error: provider answered 503: unavailable/,
    );
    const dead = await bridge.app.bridge.sendQueue?.list('dead');
    expect(dead?.map((d) => d.id)).toEqual([mId]);
    expect(dead?.[0].reason).toMatch(/provider answered 503/);
    expect(mock.sends()).toHaveLength(0);
  });
});
