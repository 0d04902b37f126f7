/**
 * Every folder in templates/ is scaffolded with the built CLI (`init --yes --no-install`,
 * linked to this checkout), then `npm install`, `npm test` and `tsc --noEmit` must pass in
 * the new project. A template added to templates/ is picked up without editing this file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import { runCli } from './support/cli.js';
import { REPO, removeTempDirs, tempDir } from './support/init-helpers.js';
import { npmStart } from './support/npm-start.js';

const templates = readdirSync(join(REPO, 'templates'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(REPO, 'templates', entry.name, 'package.json')))
  .map((entry) => entry.name)
  .sort();

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', CI: '1' },
    timeout: 180_000,
  });
  return { code: result.status, output: `${result.stdout}\n${result.stderr}`.trim() };
}

let root: string;
beforeAll(async () => {
  if (!existsSync(join(REPO, 'dist', 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  root = await tempDir('cc-templates-');
});
afterAll(removeTempDirs);

describe('every template scaffolds into a project that installs, tests and type-checks', () => {
  it('finds the templates', () => {
    expect(templates).toEqual(
      expect.arrayContaining(['generic-http', 'clicksend-sms', 'gupshup-whatsapp', 'telegram-bot', 'webchat']),
    );
  });

  it.each(templates)(
    '%s',
    async (template) => {
      const dir = join(root, template);
      const init = await runCli(['init', dir, '--template', template, '--yes', '--no-install'], {
        env: { CUSTOM_CHANNEL_DEV_LINK: REPO },
      });
      expect(init.code, init.stderr).toBe(0);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      expect(pkg.dependencies['custom-channel']).toBe(`file:${REPO.replace(/\/$/, '')}`);
      expect(pkg.customChannel.template).toBe(template);
      expect(existsSync(join(dir, '.gitignore'))).toBe(true);

      const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], dir);
      expect(install.code, install.output).toBe(0);
      const test = run('npm', ['test'], dir);
      expect(test.code, test.output).toBe(0);
      expect(test.output).toMatch(/Tests\s+\d+ passed/);
      const tsc = run(join(dir, 'node_modules', '.bin', 'tsc'), ['--noEmit'], dir);
      expect(tsc.code, tsc.output).toBe(0);

      // `npm start` is production mode: it serves /ready, configured from the environment only.
      const emulator = await startEmulator({ port: 0, stateDir: join(dir, '.emulator') });
      try {
        const started = await npmStart(dir, {
          PORT: '0',
          HOST: '127.0.0.1',
          CUSTOM_CHANNEL_STATE_DIR: join(dir, 'state'),
          XDG_CONFIG_HOME: join(dir, '.config'),
          RESPONDIO_CHANNEL_ID: emulator.channel.channelId,
          RESPONDIO_CHANNEL_TOKEN: emulator.channel.token,
          RESPONDIO_WEBHOOK_URL: emulator.webhookUrl,
        });
        const ready = await fetch(`${started.url}/ready`);
        expect(ready.status, JSON.stringify(await ready.clone().json())).toBe(200);
        expect(await ready.json()).toMatchObject({ status: 'ready', reasons: [] });
        expect(existsSync(join(dir, 'state', 'outbox'))).toBe(true);
        // npm dies of the group's SIGTERM itself; the bridge behind it drains and logs `stopped`.
        await started.stop();
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(
          started.logs.some((line) => line.includes('"msg":"stopped"')),
          started.logs.join('\n'),
        ).toBe(true);
      } finally {
        await emulator.close();
      }
    },
    300_000,
  );
});
