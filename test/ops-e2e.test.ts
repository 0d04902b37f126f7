/**
 * An operator's view of `custom-channel start` (built bin, real process) against the emulator:
 * forced 503s give rate-limited warn lines with counts and /ready 503 naming the cause; when the
 * emulator recovers, one info line and /ready 200; a 400 from respond.io gives one error line
 * per dead letter; /metrics parses strictly and agrees with what the emulator stored; and no
 * line the bridge printed carries a secret from `.env`, the channel token or a query string.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import {
  type BridgeProcess,
  buildInbound,
  createBridgeProject,
  E2E_CHANNEL,
  E2E_SECRET,
  killBridge,
  postAll,
  spawnBridge,
  waitUntil,
} from './support/bridge-project.js';
import { useCleanups } from './support/cleanups.js';
import { parsePrometheusText, sumOf } from './support/prom-text.js';

const defer = useCleanups('each');
const QUERY_SECRET = 'qs-secret-5f2c9e71ab';
const ENV_API_KEY = 'env-api-key-0c7d1e5b9a3f';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

function records(bridge: BridgeProcess): LogLine[] {
  return bridge.logs.flatMap((line) => {
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

/** Every line of a bridge's stdout and stderr, checked against every secret it knew. */
function expectNoSecret(bridge: BridgeProcess): void {
  expect(bridge.logs.length).toBeGreaterThan(3);
  for (const line of bridge.logs) {
    for (const secret of [E2E_CHANNEL.token, E2E_SECRET, ENV_API_KEY, QUERY_SECRET]) {
      expect(line, `a log line carries a secret: ${line}`).not.toContain(secret);
    }
  }
}

async function project(): Promise<string> {
  const root = await createBridgeProject();
  defer(() => rm(root, { recursive: true, force: true }));
  await writeFile(join(root, '.env'), `E2E_SECRET=${E2E_SECRET}\nACME_API_KEY=${ENV_API_KEY}\n`);
  return root;
}

function track(bridge: BridgeProcess): BridgeProcess {
  defer(() => killBridge(bridge));
  return bridge;
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

it('warns with counts while respond.io answers 503, is unready naming the cause, recovers, and counts what the emulator saw', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'ops-emulator-'));
  defer(() => rm(stateDir, { recursive: true, force: true }));
  const emulator = await startEmulator({
    port: 0,
    stateDir,
    channels: [{ channelId: E2E_CHANNEL.channelId, token: E2E_CHANNEL.token, idType: 'phone' }],
    faults: { force5xx: true },
  });
  defer(() => emulator.close());
  const root = await project();
  const bridge = track(spawnBridge(root, emulator.webhookUrl, ['--ready-failing-after', '0.4']));
  const url = await bridge.url;

  const events = buildInbound(6);
  await postAll(() => url, events);
  // A provider secret in the query string, on a known path and an unknown one.
  await fetch(`${url}/webhooks/e2e?secret=${QUERY_SECRET}&x=1`, { method: 'POST', body: '{}' });
  await fetch(`${url}/nope?token=${QUERY_SECRET}`);
  await fetch(`${url}/message`, {
    method: 'POST',
    headers: { authorization: `Bearer ${E2E_CHANNEL.token}x`, 'content-type': 'application/json' },
    body: '{}',
  });

  const rejected = () => emulator.events().filter((e) => e.type === 'webhook.rejected' && e.status === 503).length;
  await waitUntil(
    () => rejected() >= 15,
    15_000,
    () => `503s so far: ${rejected()}`,
  );
  const ready = await getJson(`${url}/ready`);
  expect(ready.status).toBe(503);
  expect(ready.body.status).toBe('unavailable');
  expect((ready.body.reasons as string[]).join('\n')).toMatch(/deliveries to respond\.io failing .*answered 503/);
  expect((await getJson(`${url}/health`)).status).toBe(200);

  // A counted warn line (more than one attempt) comes a second after the first warning; wait
  // for it while respond.io still fails, or a fast recovery folds those counts into its own line.
  const isFailureWarn = (r: LogLine) => r.level === 40 && r.msg.startsWith('delivery to respond.io failed');
  const countedWarn = () => records(bridge).some((r) => isFailureWarn(r) && (r.attempts as number) > 1);
  await waitUntil(countedWarn, 5000, () => 'no warn line counting several attempts');

  emulator.setFaults({ force5xx: false });
  const inbound = () => emulator.listMessages().filter((m) => m.traffic === 'incoming').length;
  await waitUntil(
    () => inbound() === events.length,
    20_000,
    () => `stored ${inbound()} of ${events.length}`,
  );
  await waitUntil(
    () => records(bridge).some((r) => r.msg.startsWith('delivery to respond.io recovered')),
    5000,
    () => 'no recovery line',
  );
  expect((await getJson(`${url}/ready`)).status).toBe(200);

  const lines = records(bridge);
  const warns = lines.filter(isFailureWarn);
  const attempts = warns.reduce((total, r) => total + (r.attempts as number), 0);
  const failedPosts = rejected();
  const recoveries = lines.filter((r) => r.level === 30 && r.msg.startsWith('delivery to respond.io recovered'));
  expect(recoveries).toHaveLength(1);
  expect(recoveries[0].failedAttempts).toBe(failedPosts);
  // Counted, not one line per attempt: every failed attempt is in one warn line's count, or in
  // the recovery line's when it came less than a second after the last warning.
  expect(attempts + (recoveries[0].notWarnedAttempts as number)).toBe(failedPosts);
  expect(warns.length).toBeLessThan(failedPosts);
  expect(warns.some((r) => (r.attempts as number) > 1)).toBe(true);
  expect(warns.every((r) => r.cause === 'respond.io answered 503')).toBe(true);
  // At most one line per second per cause.
  const times = warns.map((r) => r.time as number);
  for (let i = 1; i < times.length; i += 1) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(950);

  const response = await fetch(`${url}/metrics`);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const metrics = parsePrometheusText(text);
  const accepted = emulator.events().filter((e) => e.type === 'webhook.accepted');
  expect(sumOf(metrics, 'custom_channel_webhook_posts_total', { status_code: '503', outcome: 'retried' })).toBe(
    failedPosts,
  );
  expect(sumOf(metrics, 'custom_channel_webhook_posts_total', { outcome: 'delivered' })).toBe(accepted.length);
  expect(sumOf(metrics, 'custom_channel_events_delivered_total')).toBe(
    accepted.reduce((n, e) => n + (e.type === 'webhook.accepted' ? e.events : 0), 0),
  );
  expect(sumOf(metrics, 'custom_channel_events_delivered_total')).toBe(events.length);
  expect(sumOf(metrics, 'custom_channel_delivery_duration_seconds_count')).toBe(failedPosts + accepted.length);
  expect(sumOf(metrics, 'custom_channel_outbox_events', { state: 'pending' })).toBe(0);
  expect(sumOf(metrics, 'custom_channel_message_requests_total', { adapter: 'e2e', outcome: 'refused' })).toBe(1);
  expect(metrics.has('custom_channel_process_cpu_seconds_total')).toBe(true);
  expect(metrics.has('custom_channel_provider_send_retries_total')).toBe(true);
  for (const secret of [E2E_CHANNEL.token, E2E_SECRET, ENV_API_KEY, QUERY_SECRET]) expect(text).not.toContain(secret);

  bridge.child.kill('SIGTERM');
  expect(await bridge.exited).toBe(0);
  expectNoSecret(bridge);
  // The query string's value is gone from the request log, its name kept.
  expect(bridge.logs.some((line) => line.includes('/webhooks/e2e?secret=[redacted]'))).toBe(true);
}, 60_000);

it('logs one error line per dead letter when respond.io answers 400, and --no-metrics turns /metrics off', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'ops-emulator-'));
  defer(() => rm(stateDir, { recursive: true, force: true }));
  const emulator = await startEmulator({
    port: 0,
    stateDir,
    channels: [{ channelId: E2E_CHANNEL.channelId, token: E2E_CHANNEL.token, idType: 'phone' }],
  });
  defer(() => emulator.close());
  const root = await project();
  // The right token for another channel: the emulator answers 400 (channel mismatch).
  const bridge = track(
    spawnBridge(root, emulator.webhookUrl, ['--no-metrics'], { ...E2E_CHANNEL, channelId: 'another-channel' }),
  );
  const url = await bridge.url;
  const events = buildInbound(3);
  await postAll(() => url, events);
  const errors = () => records(bridge).filter((r) => r.level === 50 && r.msg.startsWith('event dead-lettered'));
  await waitUntil(
    () => errors().length >= 3,
    10_000,
    () => `error lines: ${errors().length}`,
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(errors()).toHaveLength(3);
  expect(new Set(errors().map((r) => r.mId))).toEqual(new Set(events.map((e) => e.id)));
  expect(errors()[0].reason).toMatch(/respond\.io answered 400/);
  const ready = await getJson(`${url}/ready`);
  expect(ready.body.outbox).toMatchObject({ deadLetters: 3, pending: 0 });
  expect((await fetch(`${url}/metrics`)).status).toBe(404);
  bridge.child.kill('SIGTERM');
  expect(await bridge.exited).toBe(0);
  expectNoSecret(bridge);
}, 30_000);
