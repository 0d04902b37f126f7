import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';

let home: string;
const env = () => ({ XDG_CONFIG_HOME: home });

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'cc-cli-'));
});

describe('custom-channel (built bin)', () => {
  it('--help lists the working commands and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/validate/);
    expect(result.stdout).toMatch(/config/);
  });

  it('--version prints the package version', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('an unknown command is a usage error (exit 2)', async () => {
    const result = await runCli(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});

describe('validate', () => {
  it('bad JSON on stdin: exit 2, one line with line and column, no stack', async () => {
    const result = await runCli(['validate', '-'], { input: '{\n' });
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^error: stdin: invalid JSON at line \d+, column \d+/);
    expect(result.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('a valid fixture: exit 0 and the detected kind is printed', async () => {
    const result = await runCli(['validate', 'fixtures/webhook/batch.json']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/webhook body .*\(detected\)/);
    expect(result.stdout).toMatch(/valid/);
  });

  it('--json output parses and lists problems with paths; invalid exits 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cc-validate-'));
    const file = join(dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({
        channelId: 'c',
        contactId: '60177872890',
        events: [
          { type: 'message', mId: 'm'.repeat(63), timestamp: 1767225600000, message: { type: 'text', text: 'x' } },
        ],
      }),
    );
    const result = await runCli(['validate', file, '--json', '--id-type', 'phone']);
    expect(result.code).toBe(1);
    const parsed = JSON.parse(result.stdout);
    expect(parsed).toMatchObject({ valid: false, kind: 'webhook' });
    expect(parsed.errors).toContainEqual({ path: 'events[0].mId', message: 'must be at most 50 characters (got 63)' });
    expect(parsed.errors).toContainEqual(expect.objectContaining({ path: 'contactId' }));
    expect(parsed.warnings).toEqual([]);
  });

  it('prints each problem as one `path: reason` line', async () => {
    const result = await runCli(['validate', '-', '--kind', 'message-response'], { input: '{"mId": 5}' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/error\s+mId: must be a string/);
  });

  it('grade C: warning by default, failure with --strict', async () => {
    const lenient = await runCli(['validate', 'fixtures/outbound/location.json']);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/warning\s+message\.type: location messages are grade C/);
    const strict = await runCli(['validate', 'fixtures/outbound/location.json', '--strict']);
    expect(strict.code).toBe(1);
  });

  it('a missing file is a usage error naming the file', async () => {
    const result = await runCli(['validate', 'nope.json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/nope\.json: cannot read \(no such file\)/);
  });

  it('an unknown --kind is rejected by commander with exit 2', async () => {
    const result = await runCli(['validate', 'fixtures/outbound/text.json', '--kind', 'bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Allowed choices are webhook, message/);
  });
});

describe('config', () => {
  it('set then get prints a masked token, and the file is 0600', async () => {
    const token = 'Xq7vT2mR9sL4kP8wZ3nB6yC1dF5gH0jA2eU7iO4uE9rT1y';
    const set = await runCli(['config', 'set', 'token', token], { env: env() });
    expect(set.code).toBe(0);
    expect(set.stdout).not.toContain(token);
    const get = await runCli(['config', 'get', 'token'], { env: env() });
    expect(get.code).toBe(0);
    expect(get.stdout.trim()).toBe('Xq7v…1y');
    const shown = await runCli(['config', 'get', 'token', '--show-secrets'], { env: env() });
    expect(shown.stdout.trim()).toBe(token);
    const path = await runCli(['config', 'path', '--json'], { env: env() });
    const file = JSON.parse(path.stdout).user as string;
    expect(file.startsWith(home)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const list = await runCli(['config', 'list'], { env: env() });
    expect(list.stdout).not.toContain(token);
  });

  it('a short token is masked completely', async () => {
    const shortHome = await mkdtemp(join(tmpdir(), 'cc-short-'));
    expect((await runCli(['config', 'set', 'token', 'X'], { env: { XDG_CONFIG_HOME: shortHome } })).code).toBe(0);
    const get = await runCli(['config', 'get', 'token'], { env: { XDG_CONFIG_HOME: shortHome } });
    expect(get.stdout.trim()).toBe('****');
  });

  it('precedence: environment > project file > user store > default', async () => {
    const project = await mkdtemp(join(tmpdir(), 'cc-project-'));
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'p', customChannel: { idType: 'phone' } }));
    const userHome = await mkdtemp(join(tmpdir(), 'cc-home-'));
    const base = { XDG_CONFIG_HOME: userHome };
    const get = async (extra: NodeJS.ProcessEnv = {}) =>
      JSON.parse(
        (await runCli(['config', 'get', 'channel-id', '--json'], { cwd: project, env: { ...base, ...extra } })).stdout,
      );

    expect(await get()).toMatchObject({ value: null, source: null });
    await runCli(['config', 'set', 'channel-id', 'from-user', '--user'], { cwd: project, env: base });
    expect(await get()).toMatchObject({ value: 'from-user', source: 'user' });
    // Inside a project, a plain `set` changes that project only, and says so.
    const setProject = await runCli(['config', 'set', 'channel-id', 'from-project'], {
      cwd: project,
      env: base,
    });
    expect(setProject.code).toBe(0);
    expect(setProject.stdout).toContain('(this project; --user stores it for every project)');
    expect(
      JSON.parse((await runCli(['config', 'get', 'channel-id', '--json'], { cwd: tmpdir(), env: base })).stdout),
    ).toMatchObject({ value: 'from-user', source: 'user' });
    expect((await stat(join(project, '.custom-channel', 'config.json'))).mode & 0o777).toBe(0o600);
    expect(await get()).toMatchObject({ value: 'from-project', source: 'project' });
    expect(await get({ RESPONDIO_CHANNEL_ID: 'from-env' })).toMatchObject({ value: 'from-env', source: 'env' });
    await runCli(['config', 'unset', 'channel-id'], { cwd: project, env: base });
    expect(await get()).toMatchObject({ value: 'from-user', source: 'user' });
    const both = await runCli(['config', 'set', 'channel-id', 'x', '--user', '--project'], { cwd: project, env: base });
    expect(both.code).toBe(2);

    // The manifest's ID type (chosen at init) counts as the project's.
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'p', customChannel: { idType: 'custom' } }));
    const idType = JSON.parse(
      (await runCli(['config', 'get', 'id-type', '--json'], { cwd: project, env: base })).stdout,
    );
    expect(idType).toMatchObject({ value: 'custom', source: 'project' });

    const webhook = JSON.parse(
      (await runCli(['config', 'get', 'webhook-url', '--json'], { cwd: project, env: base })).stdout,
    );
    expect(webhook).toMatchObject({ value: 'https://webhook.respond.io/custom/channel/webhook/', source: 'default' });
  });

  it('rejects a bad value naming the setting, and an unknown key listing the keys', async () => {
    const bad = await runCli(['config', 'set', 'id-type', 'email'], { env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: id-type: /);
    const unknown = await runCli(['config', 'set', 'colour', 'blue'], { env: env() });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown setting "colour"/);
    expect(unknown.stderr).toMatch(/channel-id, token, webhook-url/);
  });
});
