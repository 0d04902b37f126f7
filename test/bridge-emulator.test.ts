/**
 * The bridge (`custom-channel start`, a real process) against the real respond.io emulator:
 * its contract checks, its own 20/s limit (it answers 429 past it) and injected 503s on 30% of
 * posts. Every event must be stored exactly once, with no rate-limit refusal.
 */
import { rm } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import {
  buildInbound,
  createBridgeProject,
  E2E_CHANNEL,
  killBridge,
  postAll,
  spawnBridge,
  waitUntil,
} from './support/bridge-project.js';
import { useCleanups } from './support/cleanups.js';

const defer = useCleanups('all');

it('stores 100 inbound events exactly once in the emulator despite 30% 503s, without tripping its 20/s limit', async () => {
  const emulator = await startEmulator({
    channels: [{ ...E2E_CHANNEL, idType: 'phone' }],
    faults: { failureRate: 0.3 },
  });
  defer(() => emulator.close());
  const root = await createBridgeProject();
  defer(() => rm(root, { recursive: true, force: true }));
  const bridge = spawnBridge(root, emulator.webhookUrl);
  defer(() => killBridge(bridge));
  const url = await bridge.url;
  const events = buildInbound(100);
  await postAll(() => url, events);
  const stored = () => emulator.listMessages({ traffic: 'incoming' });
  await waitUntil(
    () => stored().length >= 100,
    60_000,
    () => `${stored().length} of 100 stored`,
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const mIds = stored().map((record) => record.mId);
  expect(mIds).toHaveLength(100);
  expect(new Set(mIds).size).toBe(100);
  expect(new Set(mIds)).toEqual(new Set(events.map((e) => e.id)));
  const rejected = emulator.events().filter((e) => e.type === 'webhook.rejected');
  expect(rejected.filter((e) => e.type === 'webhook.rejected' && e.status === 503).length).toBeGreaterThan(0);
  expect(rejected.filter((e) => e.type === 'webhook.rejected' && e.status !== 503)).toEqual([]);
  expect(emulator.events().filter((e) => e.type === 'anomaly')).toEqual([]);
  bridge.child.kill('SIGTERM');
  expect(await bridge.exited).toBe(0);
}, 90_000);

it('after kill -9 mid-burst and a restart, the emulator stores every event exactly once', async () => {
  const emulator = await startEmulator({ channels: [{ ...E2E_CHANNEL, idType: 'phone' }], rateLimitPerSecond: false });
  defer(() => emulator.close());
  const root = await createBridgeProject();
  defer(() => rm(root, { recursive: true, force: true }));
  const spawn = () => {
    const bridge = spawnBridge(root, emulator.webhookUrl, ['--rate-limit', '200']);
    defer(() => killBridge(bridge));
    return bridge;
  };
  const first = spawn();
  let current: string | undefined = await first.url;
  const events = buildInbound(300);
  let killed = false;
  const sending = postAll(
    () => current,
    events,
    16,
    (accepted) => {
      if (!killed && accepted >= 120) {
        killed = true;
        current = undefined;
        first.child.kill('SIGKILL');
      }
    },
  );
  await first.exited;
  expect(first.child.signalCode).toBe('SIGKILL');
  const storedAtKill = emulator.listMessages({ traffic: 'incoming' }).length;
  expect(storedAtKill).toBeLessThan(300);
  const second = spawn();
  current = await second.url;
  await sending;
  const stored = () => emulator.listMessages({ traffic: 'incoming' });
  await waitUntil(
    () => stored().length >= 300,
    60_000,
    () => `${stored().length} of 300 stored`,
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  const mIds = stored().map((record) => record.mId);
  expect(mIds).toHaveLength(300);
  expect(new Set(mIds)).toEqual(new Set(events.map((e) => e.id)));
  // On the wire, a post respond.io answered just before the kill (its "delivered" mark not yet
  // written) is sent again; respond.io sees the same mId and the emulator reports it. At most
  // the events in flight at the kill (4 posts of up to 10 events of a contact).
  const resent = emulator.events().filter((e) => e.type === 'anomaly' && e.anomaly.kind === 'duplicate-mid');
  expect(resent.length).toBeLessThanOrEqual(40);
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
}, 90_000);
