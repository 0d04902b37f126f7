/**
 * Chaos, end to end with real processes: 2,000 signed provider webhooks into
 * `custom-channel start` (the built bin) while
 * - the bridge is killed with SIGKILL 5 times at random points and restarted,
 * - respond.io (the real emulator, in this process) answers about 20% of posts with 503 or 429
 *   and hangs for 30 s once (longer than the bridge's 10 s delivery timeout),
 * - the disk holding the journal fills up once (a real tmpfs, mounted by the test; the test
 *   is skipped where mounting is not permitted).
 * Judged at the emulator: no event lost, duplicates at most the events in flight at each kill
 * (and at the hang's timeouts), and every duplicate reported by the emulator as an anomaly.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import type { EmulatorEvent } from '../src/emulator/types.js';
import {
  type BridgeProcess,
  buildInbound,
  createBridgeProject,
  E2E_CHANNEL,
  killBridge,
  postAll,
  spawnBridge,
  waitUntil,
} from './support/bridge-project.js';
import { useCleanups } from './support/cleanups.js';

const defer = useCleanups('each');
const TOTAL = 2000;
const KILLS = 5;
/** Posts in flight at once (the bridge's default concurrency) times events per post (maxBatch). */
const IN_FLIGHT_EVENTS = 4 * 10;

/** Writes `path` until the disk is full. */
function fillUp(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

function canMount(): boolean {
  const probe = join(tmpdir(), `chaos-probe-${process.pid}`);
  try {
    mkdirSync(probe, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

it.runIf(canMount())(
  'loses nothing through 5 kill -9s, 20% 503/429, a 30 s hang and a full disk; every duplicate is reported',
  async () => {
    const emulator = await startEmulator({
      channels: [{ ...E2E_CHANNEL, idType: 'phone' }],
      rateLimitPerSecond: false,
      faults: { failureRate: 0.12 },
    });
    defer(() => emulator.close());
    const seen: EmulatorEvent[] = [];
    emulator.subscribe((event) => seen.push(event));
    const root = await createBridgeProject();
    defer(() => rm(root, { recursive: true, force: true }));
    const stateDir = join(root, '.custom-channel');
    mkdirSync(stateDir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', stateDir]);
    defer(() => execFileSync('umount', ['-l', stateDir]));

    const bridges: BridgeProcess[] = [];
    const spawn = (): BridgeProcess => {
      const bridge = spawnBridge(root, emulator.webhookUrl, ['--rate-limit', '200']);
      bridges.push(bridge);
      defer(() => killBridge(bridge));
      return bridge;
    };
    let bridge = spawn();
    let current: string | undefined = await bridge.url;
    const events = buildInbound(TOTAL);
    // Kill points: accepted-event counts, random but spread over the run.
    const killAt = Array.from({ length: KILLS }, (_, i) =>
      Math.floor(((i + 0.3 + Math.random() * 0.5) * TOTAL) / (KILLS + 1)),
    );
    // Halfway: between the third kill and the fourth, so a restart does not swallow the full disk.
    const fillAt = Math.floor(TOTAL * 0.5);
    const hangAt = Math.floor(TOTAL * 0.6);
    let kills = 0;
    let filled = false;
    let hung = false;
    let restarting: Promise<void> = Promise.resolve();
    const faults: Array<Promise<void>> = [];
    // About 10% 503 (failureRate) plus 429s: after every 10th accepted post the next one is
    // answered 429 (each pauses the whole channel for Retry-After). Counted, not timed: a 429
    // slot of the clock could be missed by every post of a run on a loaded machine.
    let accepted429 = 0;
    let flapping = true;
    emulator.subscribe((event) => {
      if (!flapping) return;
      if (event.type === 'webhook.accepted' && ++accepted429 % 10 === 0) emulator.setFaults({ force429: true });
      if (event.type === 'webhook.rejected' && event.status === 429) emulator.setFaults({ force429: false });
    });

    const sending = postAll(
      () => current,
      events,
      16,
      (accepted) => {
        if (kills < KILLS && accepted >= killAt[kills]) {
          kills += 1;
          const victim = bridge;
          current = undefined;
          victim.child.kill('SIGKILL');
          restarting = restarting.then(async () => {
            await victim.exited;
            // A start while the disk is full may fail (it cannot write its lock): start again.
            for (let attempt = 0; ; attempt += 1) {
              bridge = spawn();
              try {
                current = await bridge.url;
                return;
              } catch (error) {
                if (attempt >= 20) throw error;
                await new Promise((resolve) => setTimeout(resolve, 200));
              }
            }
          });
        }
        if (!filled && accepted >= fillAt) {
          filled = true;
          // The journal's disk fills for a second: intake answers 503 and the provider retries.
          const filler = join(stateDir, 'filler');
          fillUp(filler);
          faults.push(new Promise((resolve) => setTimeout(resolve, 1000)).then(() => rmSync(filler)));
        }
        if (!hung && accepted >= hangAt) {
          hung = true;
          // respond.io stops answering for 30 s (posts arriving in the next 300 ms hang that long).
          emulator.setFaults({ latencyMs: 30_000 });
          faults.push(
            new Promise((resolve) => setTimeout(resolve, 300)).then(() => {
              emulator.setFaults({ latencyMs: 0 });
            }),
          );
        }
      },
    );
    await sending;
    await Promise.all(faults);
    await restarting;
    flapping = false;
    emulator.setFaults({ force429: false, failureRate: 0 });
    const stored = () => emulator.listMessages({ traffic: 'incoming' });
    await waitUntil(
      () => stored().length >= TOTAL,
      80_000,
      () => `${stored().length} of ${TOTAL} stored`,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(kills).toBe(KILLS);
    const mIds = new Set(stored().map((record) => record.mId));
    expect(mIds.size).toBe(TOTAL);
    expect([...events.filter((e) => !mIds.has(e.id))]).toEqual([]);
    const rejected = seen.filter((e) => e.type === 'webhook.rejected');
    expect(rejected.filter((e) => e.type === 'webhook.rejected' && e.status === 503).length).toBeGreaterThan(0);
    expect(rejected.filter((e) => e.type === 'webhook.rejected' && e.status === 429).length).toBeGreaterThan(0);
    // Every event respond.io accepted more than once is reported as a duplicate mId.
    const acceptedEvents = seen.reduce((sum, e) => sum + (e.type === 'webhook.accepted' ? e.events : 0), 0);
    const duplicates = seen.filter((e) => e.type === 'anomaly' && e.anomaly.kind === 'duplicate-mid').length;
    expect(duplicates).toBe(acceptedEvents - TOTAL);
    // Resent: the posts answered just before each kill, and those the hang's timeout gave up on.
    // (While the full disk refuses delivery marks no post starts, so none piles up unrecorded.)
    expect(duplicates).toBeLessThanOrEqual((KILLS + 1) * IN_FLIGHT_EVENTS);
    // The full disk was met (and answered 503, not lost): the bridge says so in its log.
    const allLogs = bridges.flatMap((b) => b.logs).join('\n');
    expect(allLogs).toMatch(/outbox cannot record events/);
    expect(hung).toBe(true);
    const logs = bridge.logs.join('\n');
    bridge.child.kill('SIGTERM');
    expect(await bridge.exited, logs).toBe(0);
  },
  115_000,
);

it('kill -9 during a batched post loses nothing: the whole batch goes again after the restart', async () => {
  type Phase = 'refuse' | 'hold' | 'accept';
  let phase: Phase = 'refuse';
  const held: string[][] = [];
  const accepted = new Map<string, number>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const mIds = (JSON.parse(Buffer.concat(chunks).toString()) as { events: Array<{ mId: string }> }).events.map(
        (e) => e.mId,
      );
      if (phase === 'refuse') {
        response.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"later"}}');
      } else if (phase === 'hold') {
        held.push(mIds); // never answered: the bridge dies with these in flight
      } else {
        for (const mId of mIds) accepted.set(mId, (accepted.get(mId) ?? 0) + 1);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  defer(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/custom/channel/webhook/`;
  const root = await createBridgeProject();
  defer(() => rm(root, { recursive: true, force: true }));
  const first = spawnBridge(root, webhookUrl);
  defer(() => killBridge(first));
  const events = buildInbound(30);
  const url = await first.url;
  await postAll(() => url, events);
  // Every event is journaled and refused once; the retries (one per contact) carry batches.
  phase = 'hold';
  await waitUntil(
    () => held.some((mIds) => mIds.length === 3),
    20_000,
    () => JSON.stringify(held),
  );
  first.child.kill('SIGKILL');
  await first.exited;
  phase = 'accept';
  const second = spawnBridge(root, webhookUrl);
  defer(() => killBridge(second));
  await second.url;
  await waitUntil(
    () => accepted.size >= 30,
    30_000,
    () => `${accepted.size} of 30`,
  );
  expect(new Set(accepted.keys())).toEqual(new Set(events.map((e) => e.id)));
  // Nothing was answered before the kill, so nothing is a duplicate.
  expect([...accepted.values()].every((n) => n === 1)).toBe(true);
  const batch = held.find((mIds) => mIds.length === 3) as string[];
  for (const mId of batch) expect(accepted.get(mId)).toBe(1);
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
}, 90_000);
