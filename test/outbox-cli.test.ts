/** `custom-channel outbox` and `start` from the built bin, on a real project folder. */
import { appendFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openFileOutbox } from '../src/outbox/index.js';
import { createBridgeProject } from './support/bridge-project.js';
import { runCli } from './support/cli.js';

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

const event = (mId: string) => ({
  contactId: '+60177872890',
  event: { type: 'message' as const, mId, timestamp: 1767225600000, message: { type: 'text' as const, text: mId } },
});

async function projectWithOutbox() {
  const root = await createBridgeProject();
  roots.push(root);
  const dir = join(root, '.custom-channel', 'outbox');
  const outbox = await openFileOutbox({ dir });
  await outbox.enqueue([event('pending-1')]);
  await outbox.enqueue([event('dead-1')], { deadLetter: 'respond.io answered 400: contactId invalid' });
  await outbox.enqueue([event('dead-2')], { deadLetter: 'respond.io answered 401: unauthorized' });
  await outbox.close();
  const env = { XDG_CONFIG_HOME: join(root, '.config') };
  return { root, dir, env };
}

it('lists pending events and dead letters, retries one, purges the rest', async () => {
  const { root, dir, env } = await projectWithOutbox();
  const listed = await runCli(['outbox'], { cwd: root, env });
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain('pending: 1');
  expect(listed.stdout).toContain('dead letters: 2');
  expect(listed.stdout).toContain('respond.io answered 401: unauthorized');
  const json = JSON.parse((await runCli(['outbox', 'list', '--dead', '--json'], { cwd: root, env })).stdout);
  expect(json.pending).toBeUndefined();
  const dead1 = json.dead.find((e: { item: { event: { mId: string } } }) => e.item.event.mId === 'dead-1');
  const retried = await runCli(['outbox', 'retry', dead1.id], { cwd: root, env });
  expect(retried.code).toBe(0);
  expect(retried.stdout).toContain('1 dead letter(s) moved back to pending');
  const unknown = await runCli(['outbox', 'retry', 'no-such-id'], { cwd: root, env });
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain('no dead letter with id no-such-id');
  // Not on a terminal, purge needs --yes: a script never deletes by accident nor hangs on a question.
  const unconfirmed = await runCli(['outbox', 'purge', '--dead'], { cwd: root, env });
  expect(unconfirmed.code).toBe(2);
  expect(unconfirmed.stderr).toContain('outbox purge would delete 1 dead letter(s): pass --yes to confirm');
  const purged = await runCli(['outbox', 'purge', '--dead', '--yes'], { cwd: root, env });
  expect(purged.stdout).toContain('1 dead letter(s) purged');
  const after = await openFileOutbox({ dir, readOnly: true });
  expect((await after.list('pending')).map((e) => e.item.event.mId)).toEqual(['pending-1', 'dead-1']);
  expect(await after.list('dead')).toEqual([]);
});

it('refuses to change an outbox a running bridge holds, but still lists it', async () => {
  const { root, dir, env } = await projectWithOutbox();
  const held = await openFileOutbox({ dir });
  try {
    const retry = await runCli(['outbox', 'retry'], { cwd: root, env });
    expect(retry.code).toBe(1);
    expect(retry.stderr).toContain(`the bridge (pid ${process.pid}) is using this outbox`);
    expect((await runCli(['outbox', 'list'], { cwd: root, env })).code).toBe(0);
  } finally {
    await held.close();
  }
});

it('start explains what is missing without a configured channel, and checks its flags', async () => {
  const { root, env } = await projectWithOutbox();
  const bare = { ...env, RESPONDIO_CHANNEL_ID: '', RESPONDIO_CHANNEL_TOKEN: '' };
  const started = await runCli(['start', '--port', '0'], { cwd: root, env: bare });
  expect(started.code).toBe(1);
  expect(started.stderr).toContain('no respond.io channel configured');
  expect(started.stderr).toContain('RESPONDIO_CHANNEL_TOKEN');
  const badPort = await runCli(['start', '--port', 'abc'], { cwd: root, env: bare });
  expect(badPort.code).toBe(2);
  expect(badPort.stderr).toContain('--port');
});

it('lists an outbox whose journal holds a `null` line and a torn one, and says how many it skipped', async () => {
  const { root, dir, env } = await projectWithOutbox();
  appendFileSync(join(dir, 'journal.ndjson'), 'null\n{"op":"add","id":"x","key":"message:torn:","at');
  const listed = await runCli(['outbox', 'list'], { cwd: root, env });
  expect(listed.code, listed.stderr).toBe(0);
  expect(listed.stdout).toContain('pending: 1');
  expect(listed.stdout).toContain('dead letters: 2');
  expect(`${listed.stdout}${listed.stderr}`).toContain('2 unreadable journal record(s) skipped');
  const json = JSON.parse((await runCli(['outbox', 'list', '--json'], { cwd: root, env })).stdout);
  expect(json).toMatchObject({ unreadable: 2 });
});
