/**
 * The one long end-to-end test (about 50 s: 1,000 events at respond.io's 20 requests/second):
 * `custom-channel start` with the default rate limit, a provider posting 1,000 signed
 * webhooks as fast as the bridge takes them, and the respond.io stand-in checking the rate
 * at its side (it would answer 429 past 20 in a rolling second) and counting arrivals.
 */
import { rm } from 'node:fs/promises';
import { expect, it } from 'vitest';
import {
  buildInbound,
  createBridgeProject,
  E2E_CHANNEL,
  killBridge,
  postAll,
  spawnBridge,
  waitUntil,
} from './support/bridge-project.js';
import { maxInWindow, startRespondioStub } from './support/bridge-respondio-stub.js';
import { useCleanups } from './support/cleanups.js';

const defer = useCleanups('all');

it('delivers 1,000 inbound events exactly once, never more than 20 in any rolling second', async () => {
  const stub = await startRespondioStub({ ...E2E_CHANNEL, rateLimit: 20 });
  defer(() => stub.close());
  const root = await createBridgeProject();
  defer(() => rm(root, { recursive: true, force: true }));
  const bridge = spawnBridge(root, stub.webhookUrl);
  defer(() => killBridge(bridge));
  const url = await bridge.url;
  const events = buildInbound(1000);
  const intakeStarted = Date.now();
  await postAll(() => url, events);
  // Intake is durable and immediate; delivery drains at the rate limit.
  const intakeMs = Date.now() - intakeStarted;
  expect(stub.acceptedCounts().size).toBeLessThan(1000);
  await waitUntil(
    () => stub.acceptedCounts().size >= 1000,
    80_000,
    () => `${stub.acceptedCounts().size} of 1000 delivered`,
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const counts = stub.acceptedCounts();
  expect(counts.size).toBe(1000);
  expect([...counts.values()].every((n) => n === 1)).toBe(true);
  for (const event of events) expect(counts.get(`message:${event.id}:`)).toBe(1);
  // Every request respond.io saw counts toward its limit, accepted or not.
  expect(stub.rateLimited).toBe(0);
  expect(
    maxInWindow(
      stub.arrivals.map((a) => a.at),
      1000,
    ),
  ).toBeLessThanOrEqual(20);
  expect(intakeMs).toBeGreaterThan(0);
  bridge.child.kill('SIGTERM');
  expect(await bridge.exited).toBe(0);
}, 100_000);
