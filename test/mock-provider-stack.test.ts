/**
 * The whole offline chain: the respond.io emulator sends through a bridge running the
 * scaffolded generic-http adapter, which sends to the mock provider; the mock calls the bridge
 * back per scenario and the bridge reports to the emulator. The emulator's status history of
 * each message must match its scenario.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BridgeHandle, startBridge } from '../src/bridge/index.js';
import { startEmulator } from '../src/emulator/index.js';
import type { EmulatorHandle, OutgoingMessageRecord } from '../src/emulator/types.js';
import { expectedStatuses, FAILED_REASON, type MockProvider, startMockProvider } from '../src/mock-provider/index.js';
import { scenarios } from '../src/mock-provider/types.js';
import { loadAdapter, loadProject } from '../src/project.js';
import { scaffold } from '../src/scaffold/index.js';
import { REPO, removeTempDirs, tempDir } from './support/init-helpers.js';

let emulator: EmulatorHandle;
let bridge: BridgeHandle;
let mock: MockProvider;
const contactFor = (index: number) => `+6017000000${index}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every callback posted and every event the bridge queued delivered to the emulator. */
async function settle() {
  await mock.idle();
  const deadline = Date.now() + 10_000;
  for (;;) {
    const stats = bridge.outbox.stats();
    if (stats.pending === 0 && stats.inFlight === 0) return;
    if (Date.now() > deadline) throw new Error(`outbox did not drain: ${JSON.stringify(stats)}`);
    await sleep(20);
  }
}

beforeAll(async () => {
  const root = await tempDir('cc-stack-');
  const project = await scaffold({ dir: join(root, 'acme'), template: 'generic-http', link: REPO });
  const loaded = loadProject(project.dir, {});
  const adapter = await loadAdapter(loaded.adapterPath);
  emulator = await startEmulator({ stateDir: join(root, 'emulator'), rateLimitPerSecond: false });
  mock = await startMockProvider({
    delaysMs: { step: 10, slow: 150 },
    // Shorter than the bridge's answer budget: retried inside /message, answered with the provider's id.
    outageMs: 300,
    rules: scenarios.map((scenario, index) => ({ contactId: contactFor(index), scenario })),
  });
  const { channelId, token } = emulator.channel;
  bridge = await startBridge({
    adapter,
    channel: { channelId, token, idType: 'phone' },
    respondio: { webhookUrl: emulator.webhookUrl },
    env: mock.env,
    stateDir: join(project.dir, '.custom-channel'),
  });
  emulator.setApiBaseUrl(bridge.url);
  mock.setCallbackBase(bridge.url);
}, 30_000);

afterAll(async () => {
  await mock?.close();
  await bridge?.close();
  await emulator?.close();
  await removeTempDirs();
});

describe('mock provider scenarios through the bridge into the emulator', () => {
  const finalStatus = {
    read: 'read',
    delivered: 'delivered',
    failed: 'failed',
    slow: 'read',
    duplicate: 'read',
    'out-of-order': 'read',
    silent: 'sent',
    'provider-outage': 'read',
  } as const;
  const records = new Map<string, OutgoingMessageRecord>();

  beforeAll(async () => {
    const sent = await Promise.all(
      scenarios.map((_, index) =>
        emulator.sendMessage({ contactId: contactFor(index), message: { type: 'text', text: `scenario ${index}` } }),
      ),
    );
    await settle();
    for (const [index, scenario] of scenarios.entries()) {
      const record = emulator.getMessage(sent[index].messageId);
      if (record?.traffic !== 'outgoing') throw new Error(`no outgoing record for ${scenario}`);
      records.set(scenario, record);
    }
  }, 30_000);

  it.each(scenarios)('%s', (scenario) => {
    const record = records.get(scenario) as OutgoingMessageRecord;
    const fromProvider = record.statuses.filter((s) => s.source === 'webhook').map((s) => s.value);
    // The bridge's outbox drops a repeated (mId, status): respond.io sees `duplicate` once.
    const expected = [...new Set(expectedStatuses(scenario))];
    expect(fromProvider).toEqual(expected);
    expect(record.mId).toBe(mock.sends().find((s) => s.to === record.contactId)?.id);
    expect(record.status).toBe(finalStatus[scenario]);
    if (scenario === 'failed') expect(record.error ?? record.statuses.at(-1)?.message).toBe(FAILED_REASON);
    if (scenario === 'out-of-order') expect(record.anomalies.map((a) => a.kind)).toContain('status-regression');
    else expect(record.anomalies).toEqual([]);
  });

  it('the bridge dropped the duplicate status before respond.io saw it', () => {
    expect(bridge.outbox.stats().duplicates).toBeGreaterThanOrEqual(1);
  });
});

describe('inbound and echo through the bridge into the emulator', () => {
  it('an injected inbound message and an echo arrive as respond.io messages', async () => {
    const inbound = await mock.injectInbound({
      from: '+60177872890',
      text: 'Hi, where is my parcel?',
      fromName: 'Aisha Rahman',
    });
    const echo = await mock.injectEcho({ to: '+60177872890', text: 'Sent from the provider app' });
    await settle();
    const got = emulator.findByMId(emulator.channel.channelId, inbound.messageId);
    expect(got).toMatchObject({
      traffic: 'incoming',
      contactId: '+60177872890',
      message: { type: 'text', text: 'Hi, where is my parcel?' },
    });
    expect(emulator.listContacts().find((c) => c.contactId === '+60177872890')?.profile).toMatchObject({
      firstName: 'Aisha',
      lastName: 'Rahman',
    });
    expect(emulator.findByMId(emulator.channel.channelId, echo.messageId)).toMatchObject({
      traffic: 'outgoing',
      origin: 'echo',
    });
  });
});
