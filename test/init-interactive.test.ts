/**
 * `init` in a real pseudo-terminal (tmux): a user answers every prompt, and the project is the
 * same, file for file, as the one the equivalent flags produce. Ctrl-C at a prompt exits 130
 * and writes nothing.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { BIN, runCli } from './support/cli.js';
import { removeTempDirs, snapshot, tempDir } from './support/init-helpers.js';
import { startTmux, type TmuxSession } from './support/init-tmux.js';

const env = { NO_COLOR: '1', TERM: 'xterm-256color' };
let session: TmuxSession | undefined;

afterEach(async () => {
  session?.kill();
  session = undefined;
  await removeTempDirs();
});

it('answering each prompt gives the same files as the flag run', async () => {
  const interactive = await tempDir();
  const state = await tempDir();
  session = startTmux([process.execPath, BIN, 'init'], interactive, env, state);

  await session.waitFor(/Project name:/);
  session.type('acme-sms');
  session.keys('Enter');
  await session.waitFor(/Template \(provider\):[\s\S]*generic-http[\s\S]*telegram-bot/);
  session.keys('Down'); // generic-http -> clicksend-sms
  await session.waitFor(/❯ clicksend-sms/);
  session.keys('Enter');
  await session.waitFor(/Contact ID type/);
  session.keys('Down'); // Phone Number (the template's default) -> Custom ID
  await session.waitFor(/❯ Custom ID/);
  session.keys('Enter');
  await session.waitFor(/Install dependencies now/);
  session.type('n');
  session.keys('Enter');
  expect(await session.exitCode()).toBe(0);
  expect(session.screen()).toContain('Created acme-sms in ./acme-sms (template clicksend-sms, ID type custom)');

  const flagged = await tempDir();
  const run = await runCli(
    ['init', 'acme-sms', '--name', 'acme-sms', '--template', 'clicksend-sms', '--id-type', 'custom', '--no-install'],
    { cwd: flagged, env },
  );
  expect(run.code, run.stderr).toBe(0);
  const byPrompts = await snapshot(join(interactive, 'acme-sms'));
  expect(JSON.parse(byPrompts['package.json'])).toMatchObject({
    name: 'acme-sms',
    customChannel: { template: 'clicksend-sms', idType: 'custom' },
  });
  expect(byPrompts).toEqual(await snapshot(join(flagged, 'acme-sms')));
}, 40_000);

it('Ctrl-C at a prompt exits 130 and leaves no folder', async () => {
  const cwd = await tempDir();
  const state = await tempDir();
  session = startTmux([process.execPath, BIN, 'init', 'acme'], cwd, env, state);
  await session.waitFor(/Project name:/);
  session.type('acme');
  session.keys('Enter');
  await session.waitFor(/Template \(provider\):/);
  session.keys('C-c');
  expect(await session.exitCode()).toBe(130);
  expect(session.screen()).toMatch(/cancelled/);
  expect(readdirSync(cwd)).toEqual([]);
}, 30_000);
