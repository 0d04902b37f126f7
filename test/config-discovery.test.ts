/** Issue 13 item 8: corrupt config files, unreadable outboxes, inspector query/Origin, project discovery. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildInspector } from '../src/inspector/server.js';
import { findProjectRoot, loadProject } from '../src/project.js';
import { runCli } from './support/cli.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'config-discovery-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const env = () => ({ XDG_CONFIG_HOME: join(dir, 'xdg') });

async function project(root: string, manifest: Record<string, unknown> = {}) {
  await mkdir(join(root, 'src'), { recursive: true });
  await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'p', customChannel: manifest }));
  await writeFile(join(root, 'src', 'adapter.ts'), 'export default {};\n');
  return root;
}

describe('config files', () => {
  it('a corrupt project config is refused by config set --project, naming the file, and left as it was', async () => {
    const root = await project(join(dir, 'proj'));
    const file = join(root, '.custom-channel', 'config.json');
    await mkdir(join(root, '.custom-channel'));
    const torn = '{\n  "token": "tok_keep_me_0123456789",\n  "channelId": "chan-keep';
    await writeFile(file, torn);
    const set = await runCli(['config', 'set', 'webhook-url', 'http://127.0.0.1:1/hook', '--project'], {
      cwd: root,
      env: env(),
    });
    expect(set.code).toBe(1);
    expect(set.stderr).toContain(`${file} (the project config) is not valid`);
    expect(set.stderr).toMatch(/fix it by hand .* or delete it/);
    expect(set.stderr).not.toMatch(/\n\s+at /); // no stack
    expect(await readFile(file, 'utf8')).toBe(torn);
    await writeFile(file, '["not", "an", "object"]');
    const list = await runCli(['config', 'list'], { cwd: root, env: env() });
    expect(list.code).toBe(1);
    expect(list.stderr).toContain('expected a JSON object of settings');
  });

  it('a corrupt user config is named with the fix', async () => {
    const file = join(dir, 'xdg', 'custom-channel', 'config.json');
    await mkdir(join(dir, 'xdg', 'custom-channel'), { recursive: true });
    await writeFile(file, '{bad');
    for (const args of [
      ['config', 'list'],
      ['config', 'set', 'channel-id', 'x'],
    ]) {
      const result = await runCli(args, { cwd: dir, env: env() });
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).toContain(`${file} (your user config) is not valid`);
      expect(result.stderr).toContain('delete it and store your settings again');
    }
    expect(await readFile(file, 'utf8')).toBe('{bad');
  });
});

describe('outbox list', () => {
  it('reports an error (exit 1) when the outbox cannot be read, not an empty outbox', async () => {
    const root = await project(join(dir, 'proj'));
    await mkdir(join(root, '.custom-channel'));
    const outbox = join(root, '.custom-channel', 'outbox');
    await writeFile(outbox, 'not a folder');
    const asFile = await runCli(['outbox', 'list'], { cwd: root, env: env() });
    expect(asFile.code).toBe(1);
    expect(asFile.stderr).toContain(`cannot read the outbox at ${outbox}: it is not a folder`);
    await rm(outbox);
    await mkdir(join(outbox, 'journal.ndjson'), { recursive: true });
    const journalDir = await runCli(['outbox', 'list', '--json'], { cwd: root, env: env() });
    expect(journalDir.code).toBe(1);
    expect(journalDir.stderr).toContain('cannot read the outbox journal');
    // No outbox yet is still an empty one.
    await rm(outbox, { recursive: true });
    const empty = await runCli(['outbox', 'list'], { cwd: root, env: env() });
    expect(empty.code).toBe(0);
    expect(empty.stdout + empty.stderr).toMatch(/dead letters: 0/);
  });
});

describe('inspector API', () => {
  it('answers ?since=-1 (and other bad values) with 400 and Origin: null with 403, never 500', async () => {
    const { app } = await buildInspector({});
    try {
      for (const since of ['-1', 'abc', '1.5', '1e400']) {
        for (const url of ['/api/entries', '/api/stream']) {
          const res = await app.inject({ url: `${url}?since=${since}` });
          expect(res.statusCode, `${url}?since=${since}`).toBe(400);
          expect(res.json().error.message).toMatch(/since must be a whole number >= 0/);
        }
      }
      expect((await app.inject({ url: '/api/entries?since=0' })).statusCode).toBe(200);
      for (const origin of ['null', 'not a url', 'http://evil.example']) {
        const res = await app.inject({
          method: 'POST',
          url: '/api/replay',
          headers: { origin, 'content-type': 'application/json' },
          payload: '{"seq":1}',
        });
        expect(res.statusCode, origin).toBe(403);
      }
    } finally {
      await app.close();
    }
  });
});

describe('project discovery', () => {
  it('stops at the first package.json walking up: a package inside a project is not that project', async () => {
    const outer = await project(join(dir, 'outer'));
    const inner = join(outer, 'packages', 'other');
    await mkdir(join(inner, 'deep'), { recursive: true });
    await writeFile(join(inner, 'package.json'), JSON.stringify({ name: 'other' }));
    expect(findProjectRoot(join(outer, 'src'))).toBe(outer);
    expect(findProjectRoot(join(inner, 'deep'))).toBeUndefined();
    const listed = await runCli(['outbox', 'list'], { cwd: join(inner, 'deep'), env: env() });
    expect(listed.code).not.toBe(0);
    expect(listed.stderr).toContain('no custom-channel project found');
    // An unreadable package.json ends the search too.
    await writeFile(join(inner, 'package.json'), '{torn');
    expect(findProjectRoot(inner)).toBeUndefined();
  });

  it('never loads an adapter from outside the project folder', async () => {
    await mkdir(join(dir, 'elsewhere'));
    await writeFile(join(dir, 'elsewhere', 'adapter.ts'), 'export default {};\n');
    const root = await project(join(dir, 'proj'), { adapter: '../elsewhere/adapter.ts' });
    expect(() => loadProject(root, {})).toThrow(/customChannel\.adapter points outside the project/);
    const absolute = await project(join(dir, 'proj2'), { adapter: join(dir, 'elsewhere', 'adapter.ts') });
    expect(() => loadProject(absolute, {})).toThrow(/points outside the project/);
    const fine = await project(join(dir, 'proj3'));
    expect(loadProject(fine, {}).adapterPath).toBe(join(fine, 'src', 'adapter.ts'));
  });
});
