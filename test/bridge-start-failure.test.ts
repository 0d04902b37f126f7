/**
 * A bridge that cannot start closes everything its start opened (outbox lock, delivery loop,
 * send queue, timers), and `custom-channel start` exits 1 with one line instead of running on
 * without a port (issue 19).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { buildBridge, startBridge } from '../src/bridge/index.js';
import { openFileOutbox } from '../src/outbox/file-outbox.js';
import { buildTestAdapter } from './support/bridge-adapter.js';
import { createBridgeProject, killBridge, spawnBridge } from './support/bridge-project.js';

const TOKEN = 'tok_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH';
const channel = { channelId: 'chan-1', token: TOKEN, idType: 'phone' as const };
const respondio = { webhookUrl: 'http://127.0.0.1:9/custom/channel/webhook/' };
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-start-fail-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A state folder whose outbox holds one pending event and whose send queue cannot be created. */
async function brokenStateDir(dir: string): Promise<void> {
  const outbox = await openFileOutbox({ dir: join(dir, 'outbox') });
  await outbox.enqueue([
    {
      contactId: '+60170000001',
      event: { type: 'message', mId: 'm-1', timestamp: 1767225600000, message: { type: 'text', text: 'hi' } },
    },
  ]);
  await outbox.close();
  // `sends` must be a folder: as a file, opening the send queue fails after the outbox started.
  await writeFile(join(dir, 'sends'), 'not a folder');
}

it('a start that fails after the outbox opened releases its lock and rejects', async () => {
  const dir = await tempDir();
  await brokenStateDir(dir);
  await expect(startBridge({ adapter: buildTestAdapter(), channel, respondio, stateDir: dir })).rejects.toThrow(
    /sends/,
  );
  // The failed start holds nothing: another owner can open the outbox at once.
  const again = await openFileOutbox({ dir: join(dir, 'outbox') });
  expect(again.stats().pending).toBe(1);
  await again.close();
});

it('readyTimeoutMs fails a slow start, and the steps still running close what they open', async () => {
  const dir = await tempDir();
  const adapter = buildTestAdapter();
  let release!: () => void;
  const slow = new Promise<void>((resolve) => {
    release = resolve;
  });
  const app = buildBridge({
    adapter: async () => {
      await slow;
      return adapter;
    },
    channel,
    respondio,
    stateDir: dir,
    readyTimeoutMs: 100,
  });
  const started = Date.now();
  await expect(app.ready()).rejects.toThrow('did not start within 100 ms');
  expect(Date.now() - started).toBeLessThan(5000);
  // The adapter arrives late: the start goes on opening the outbox, sees it was given up, closes it.
  release();
  let reopened: Awaited<ReturnType<typeof openFileOutbox>> | undefined;
  for (let i = 0; i < 100 && !reopened; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    reopened = await openFileOutbox({ dir: join(dir, 'outbox') }).catch(() => undefined);
  }
  expect(reopened).toBeDefined();
  await reopened?.close();
  await app.close().catch(() => {});
});

it('`custom-channel start` exits 1 with one line when its start fails, and leaves no process', async () => {
  const root = await createBridgeProject();
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, '.custom-channel'), { recursive: true });
  await brokenStateDir(join(root, '.custom-channel'));
  const bridge = spawnBridge(root, respondio.webhookUrl, ['--state-dir', '.custom-channel']);
  cleanups.push(() => killBridge(bridge));
  const code = await Promise.race([
    bridge.exited,
    new Promise((resolve) => setTimeout(() => resolve('still running after 15 s'), 15_000)),
  ]);
  expect(code).toBe(1);
  const errors = bridge.logs.filter((line) => line.startsWith('stderr:')).join('');
  expect(errors).toMatch(/the bridge could not start: .*sends/);
  expect(errors).not.toMatch(/\n\s+at /);
  expect(bridge.logs.some((line) => line.includes('bridge listening'))).toBe(false);
}, 30_000);
