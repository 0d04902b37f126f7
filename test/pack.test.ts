/**
 * The published shape: `npm pack`, then run the tarball with npx from another folder, as a
 * user would with `npx custom-channel`. Needs the npm registry for the dependencies.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('..', import.meta.url));

describe('npm pack', () => {
  it('packs bin, dist, fixtures and templates, and `npx <tarball> --help` works elsewhere', async () => {
    const out = await mkdtemp(join(tmpdir(), 'cc-pack-'));
    // --ignore-scripts: `npm test` has just built dist/; prepack would build again.
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out], {
      cwd: repo,
    });
    const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const paths = info.files.map((f) => f.path);
    expect(paths).toContain('bin/custom-channel.js');
    expect(paths).toContain('dist/cli.js');
    expect(paths).toContain('dist/index.d.ts');
    expect(paths).toContain('fixtures/catalogue.json');
    expect(paths.some((p) => p.startsWith('templates/'))).toBe(true);
    expect(paths.some((p) => p.startsWith('src/') || p.startsWith('test/'))).toBe(false);
    expect(await readdir(out)).toContain(info.filename);

    // `./name.tgz` makes npx treat it as a package spec (an absolute path would be run as a file).
    const help = await run('npx', ['--yes', `./${info.filename}`, '--help'], {
      cwd: out,
      env: { ...process.env, npm_config_update_notifier: 'false', NO_COLOR: '1' },
      timeout: 180_000,
    });
    expect(help.stdout).toMatch(/Usage: custom-channel/);
    expect(help.stdout).toMatch(/validate/);

    // `init` from the tarball, no --link: this version is not on the registry, so the project
    // is linked to the tarball by itself; it installs and its own tests pass.
    const npmEnv = { ...process.env, npm_config_update_notifier: 'false', NO_COLOR: '1', CUSTOM_CHANNEL_DEV_LINK: '' };
    const init = await run('npx', ['--yes', `./${info.filename}`, 'init', 'p', '--yes', '--json'], {
      cwd: out,
      env: npmEnv,
      timeout: 300_000,
    });
    const result = JSON.parse(init.stdout) as { customChannel: string; linked?: string; installed: boolean };
    expect(result).toMatchObject({ installed: true, customChannel: `file:${join(out, info.filename)}` });
    expect(result.linked).toContain('installed from');
    const tests = await run('npm', ['test'], { cwd: join(out, 'p'), env: npmEnv, timeout: 200_000 });
    expect(tests.stdout).toMatch(/passed/);
  }, 600_000);
});
