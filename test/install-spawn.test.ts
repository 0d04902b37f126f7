/** `init`'s install step: the package manager the user ran us with, spawned through cross-spawn. */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageManagerOf, runInstall } from '../src/scaffold/install.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('packageManagerOf', () => {
  it.each([
    [undefined, 'npm'],
    ['npm/11.19.0 node/v20.20.2 linux x64 workspaces/false', 'npm'],
    ['pnpm/9.15.0 npm/? node/v22.1.0 linux x64', 'pnpm'],
    ['yarn/1.22.22 npm/? node/v20.19.0 darwin arm64', 'yarn'],
    ['bun/1.2.0 npm/? node/v22.6.0 linux x64', 'bun'],
    ['evil; rm -rf /', 'npm'],
  ])('%s -> %s', (agent, manager) => {
    expect(packageManagerOf({ npm_config_user_agent: agent })).toBe(manager);
  });
});

describe('runInstall', () => {
  it('runs `<manager> install` from PATH with its quiet flags, and reports its failure by name', async () => {
    const bin = await mkdtemp(join(tmpdir(), 'cc-pm-bin-'));
    const project = await mkdtemp(join(tmpdir(), 'cc-pm-project-'));
    dirs.push(bin, project);
    const log = join(project, 'argv.txt');
    // A stand-in pnpm: records how it was called; `FAIL=1` makes it fail like a broken install.
    await writeFile(
      join(bin, 'pnpm'),
      `#!/bin/sh\necho "$@" > '${log}'\nif [ -n "$FAIL" ]; then echo "ERR_PNPM_FETCH_404 no such package" >&2; exit 1; fi\n`,
    );
    await chmod(join(bin, 'pnpm'), 0o755);
    const env = {
      ...process.env,
      PATH: `${bin}${delimiter}${process.env.PATH}`,
      npm_config_user_agent: 'pnpm/9.15.0 npm/? node/v20.19.0 linux x64',
    };
    const lines: string[] = [];
    await runInstall(project, { env, onLine: (line) => lines.push(line) });
    expect((await readFile(log, 'utf8')).trim()).toBe('install --prefer-offline');
    await expect(runInstall(project, { env: { ...env, FAIL: '1' } })).rejects.toThrow(
      /pnpm install failed \(exit 1\):\nERR_PNPM_FETCH_404/,
    );
  });
});
