/**
 * Stopping and one-shot commands, with real processes: SIGTERM lets an in-flight /message
 * finish and exits 0; work that outlives --shutdown-timeout makes the process exit anyway
 * (1, with an error line); `send` shows the adapter's ctx.log warning on stderr; the state
 * folder comes from CUSTOM_CHANNEL_STATE_DIR.
 */
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadProject } from '../src/project.js';
import {
  type BridgeProcess,
  createBridgeProject,
  E2E_CHANNEL,
  killBridge,
  spawnBridge,
} from './support/bridge-project.js';
import { useCleanups } from './support/cleanups.js';
import { runCli } from './support/cli.js';

const defer = useCleanups('each');

const ADAPTER = `import { defineAdapter } from 'custom-channel';

export default defineAdapter({
  name: 'slow',
  capabilities: { messageTypes: ['text'], statuses: ['sent'] },
  async send(input, ctx) {
    ctx.log.warn('adapter says: careful with ' + input.contactId);
    const ms = Number(/^wait (\\d+)$/.exec(input.message.text ?? '')?.[1] ?? 0);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { mId: 'sent-' + ms };
  },
  webhooks: [],
});
`;

async function project(): Promise<string> {
  const root = await createBridgeProject();
  defer(() => rm(root, { recursive: true, force: true }));
  await writeFile(join(root, 'src', 'adapter.ts'), ADAPTER);
  return root;
}

function track(bridge: BridgeProcess): BridgeProcess {
  defer(() => killBridge(bridge));
  return bridge;
}

const message = (url: string, text: string) =>
  fetch(`${url}/message`, {
    method: 'POST',
    headers: { authorization: `Bearer ${E2E_CHANNEL.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      channelId: E2E_CHANNEL.channelId,
      contactId: '+60177872890',
      message: { type: 'text', text },
    }),
  });

it('SIGTERM drains an in-flight /message and exits 0; past --shutdown-timeout it exits 1', async () => {
  const root = await project();
  const bridge = track(spawnBridge(root, 'http://127.0.0.1:9/', ['--state-dir', 'var/state']));
  const url = await bridge.url;
  const inFlight = message(url, 'wait 600');
  await new Promise((resolve) => setTimeout(resolve, 150));
  bridge.child.kill('SIGTERM');
  const answer = await inFlight;
  expect(answer.status).toBe(200);
  expect(await answer.json()).toEqual({ mId: 'sent-600' });
  expect(await bridge.exited).toBe(0);
  // --state-dir, relative to the project.
  expect(existsSync(join(root, 'var', 'state', 'outbox'))).toBe(true);
  expect(existsSync(join(root, '.custom-channel', 'outbox'))).toBe(false);
  // `outbox` finds that folder through the same flag (or CUSTOM_CHANNEL_STATE_DIR).
  for (const how of [['--state-dir', 'var/state'], []]) {
    const listed = await runCli(['--json', 'outbox', 'list', ...how], {
      cwd: root,
      env: how.length ? {} : { CUSTOM_CHANNEL_STATE_DIR: join(root, 'var', 'state') },
    });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).dir).toBe(join(root, 'var', 'state', 'outbox'));
  }

  const stuck = track(spawnBridge(root, 'http://127.0.0.1:9/', ['--shutdown-timeout', '0.3']));
  const stuckUrl = await stuck.url;
  void message(stuckUrl, 'wait 5000').catch(() => {});
  await new Promise((resolve) => setTimeout(resolve, 150));
  const started = Date.now();
  stuck.child.kill('SIGTERM');
  expect(await stuck.exited).toBe(1);
  expect(Date.now() - started).toBeLessThan(3000);
  expect(stuck.logs.some((line) => line.includes('shutdown deadline passed'))).toBe(true);
}, 30_000);

it("send prints the adapter's ctx.log warning on stderr, also with --json", async () => {
  const root = await project();
  for (const json of [false, true]) {
    const result = await runCli([...(json ? ['--json'] : []), 'send', 'hello', '--to', '+60177872890'], {
      cwd: root,
      env: { XDG_CONFIG_HOME: join(root, '.config') },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('adapter says: careful with +60177872890');
    expect(result.stdout).not.toContain('adapter says');
  }
}, 30_000);

it('takes the state folder from CUSTOM_CHANNEL_STATE_DIR', async () => {
  const root = await project();
  expect(loadProject(root, {}).stateDir).toBe(join(root, '.custom-channel'));
  expect(loadProject(root, { CUSTOM_CHANNEL_STATE_DIR: '/srv/state' }).stateDir).toBe('/srv/state');
  expect(loadProject(join(root, 'src'), { CUSTOM_CHANNEL_STATE_DIR: 'rel' }).stateDir).toBe(join(root, 'src', 'rel'));
});
