/**
 * The real local stack for inspector end-to-end tests: the respond.io emulator, the bridge
 * running the generic-http template's adapter, the mock provider, and the inspector watching
 * both the emulator's events and the bridge's exchanges.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startBridge } from '../../src/bridge/index.js';
import { startEmulator } from '../../src/emulator/index.js';
import { ExchangeFeed } from '../../src/exchange.js';
import { startInspector } from '../../src/inspector/index.js';
import { startMockProvider } from '../../src/mock-provider/index.js';
import { loadAdapter } from '../../src/project.js';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian's Chromium (`apt-get install -y chromium`), driven by playwright-core. */
export function launchChromium() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export async function startInspectorStack() {
  const dir = await mkdtemp(join(tmpdir(), 'inspector-e2e-'));
  const closers: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  const close = async () => {
    while (closers.length)
      await closers
        .pop()?.()
        .catch(() => {});
  };
  try {
    const mock = await startMockProvider();
    closers.push(() => mock.close());
    const adapter = await loadAdapter(join(import.meta.dirname, '../../templates/generic-http/src/adapter.ts'));
    const emulator = await startEmulator({ stateDir: dir });
    closers.push(() => emulator.close());
    const channel = emulator.channel;
    const feed = new ExchangeFeed();
    const bridge = await startBridge({
      adapter,
      channel: { channelId: channel.channelId, token: channel.token, idType: channel.idType },
      respondio: { webhookUrl: emulator.webhookUrl },
      env: { ...mock.env },
      stateDir: dir,
      exchanges: feed,
    });
    closers.push(() => bridge.close());
    emulator.setApiBaseUrl(bridge.url);
    mock.setCallbackBase(bridge.url);
    const inspector = await startInspector({
      emulator,
      exchanges: feed,
      bridgeUrl: bridge.url,
      channelId: channel.channelId,
      token: () => channel.token,
      secrets: () => [mock.apiKey, mock.webhookSecret],
      providerHeaders: () => ({ authorization: `Bearer ${mock.apiKey}` }),
      providerWebhookSecret: () => mock.webhookSecret,
      historyFile: join(dir, 'inspector.ndjson'),
    });
    closers.push(() => inspector.close());
    return { dir, mock, emulator, bridge, inspector, token: channel.token, close };
  } catch (error) {
    await close();
    throw error;
  }
}
