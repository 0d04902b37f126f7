import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import {
  buildPackageJson,
  customChannelSpec,
  listTemplates,
  packageNameProblem,
  type ScaffoldProgress,
  scaffold,
  toPackageName,
} from '../src/scaffold/index.js';
import { type InitPrompts, runInit } from '../src/scaffold/run-init.js';
import { detectSelfSource } from '../src/scaffold/self-source.js';
import { runCli } from './support/cli.js';
import { REPO, removeTempDirs, snapshot, tempDir } from './support/init-helpers.js';

const own = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));

afterEach(removeTempDirs);

describe('npm package names', () => {
  it.each([
    ['my-channel', undefined],
    ['@acme/sms-channel', undefined],
    ['a.b_c-d', undefined],
    ['', 'name length must be greater than zero'],
    ['My-Channel', 'name can no longer contain capital letters'],
    ['.hidden', 'name cannot start with a period'],
    ['_private', 'name cannot start with an underscore'],
    [' padded', 'name cannot contain leading or trailing spaces'],
    ['node_modules', 'node_modules is not a valid package name'],
    ['http', 'http is a core module name'],
    ['x'.repeat(215), 'name can no longer contain more than 214 characters'],
    ["it's", 'name can no longer contain special characters ("~\'!()*")'],
    ['my channel', 'name can only contain URL-friendly characters'],
    ['@acme/a/b', 'name can only contain URL-friendly characters'],
  ])('%j -> %s', (name, problem) => {
    expect(packageNameProblem(name)).toBe(problem);
  });

  it.each([
    ['My Channel', 'my-channel'],
    ['_acme.SMS', 'acme-sms'],
    ['!!!', 'my-channel'],
    ['http', 'my-channel'],
  ])('folder %j suggests %j', (folder, name) => {
    expect(toPackageName(folder)).toBe(name);
  });
});

describe('templates and package.json', () => {
  it('lists every template folder, the default first, with its ID type', () => {
    const templates = listTemplates();
    expect(templates[0]).toMatchObject({ name: 'generic-http', idType: 'phone' });
    const names = templates.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['clicksend-sms', 'telegram-bot']));
    expect(templates.find((t) => t.name === 'telegram-bot')?.idType).toBe('custom');
    const onDisk = readdirSync(join(REPO, 'templates')).filter((n) =>
      existsSync(join(REPO, 'templates', n, 'package.json')),
    );
    expect([...names].sort()).toEqual(onDisk.sort());
  });

  it('depends on the registry range of this version, or on a checkout via file:', () => {
    expect(customChannelSpec()).toBe(`^${own.version}`);
    expect(customChannelSpec({ link: REPO })).toBe(`file:${REPO.replace(/\/$/, '')}`);
    expect(customChannelSpec({ env: { CUSTOM_CHANNEL_DEV_LINK: '/opt/cc' } })).toBe('file:/opt/cc');
  });

  it('edits name, ID type and dependency ranges as JSON, taking shared ranges from the CLI', () => {
    const template = {
      name: 't',
      scripts: { test: 'vitest run' },
      dependencies: { 'custom-channel': '^0.0.1', leftpad: '1.0.0' },
      devDependencies: { vitest: '^1.0.0', typescript: '^1.0.0' },
      customChannel: { adapter: 'src/adapter.ts', template: 'x', idType: 'phone' },
    };
    const pkg = buildPackageJson(template, { name: 'acme', idType: 'custom', template: 'x', customChannel: '^9.9.9' });
    expect(pkg).toMatchObject({
      name: 'acme',
      scripts: { test: 'vitest run' },
      dependencies: { 'custom-channel': '^9.9.9', leftpad: '1.0.0' },
      devDependencies: { vitest: own.devDependencies.vitest, typescript: own.devDependencies.typescript },
      customChannel: { adapter: 'src/adapter.ts', template: 'x', idType: 'custom' },
    });
    expect(template.name).toBe('t');
  });
});

describe('scaffold()', () => {
  it('copies the template, renames dotfiles, edits package.json and reports progress', async () => {
    const root = await tempDir();
    const events: ScaffoldProgress[] = [];
    const result = await scaffold({
      dir: 'acme',
      cwd: root,
      template: 'generic-http',
      idType: 'custom',
      link: REPO,
      onProgress: (e) => events.push(e),
    });
    const dir = join(root, 'acme');
    expect(result).toMatchObject({ dir, name: 'acme', template: 'generic-http', idType: 'custom', installed: false });
    expect(result.files).toEqual(
      expect.arrayContaining(['.gitignore', '.env.example', 'package.json', 'src/adapter.ts']),
    );
    expect(existsSync(join(dir, '_gitignore'))).toBe(false);
    expect(existsSync(join(dir, '_env.example'))).toBe(false);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('acme');
    expect(pkg.customChannel).toEqual({ adapter: 'src/adapter.ts', template: 'generic-http', idType: 'custom' });
    expect(pkg.dependencies['custom-channel']).toBe(result.customChannel);
    expect(result.customChannel).toMatch(/^file:\//);
    expect(readdirSync(root)).toEqual(['acme']); // no temp sibling left behind
    const copies = events.filter((e) => e.step === 'copy');
    expect(copies[0]).toEqual({ step: 'copy', done: 0, total: result.files.length });
    expect(copies.at(-1)).toMatchObject({ done: result.files.length, total: result.files.length });
    expect(events.at(-1)).toEqual({ step: 'done', dir });
  });

  it('refuses a non-empty folder unless forced, and then keeps the files the template lacks', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'notes.txt'), 'mine');
    await writeFile(join(root, 'package.json'), '{"name":"old"}');
    const refused = scaffold({ dir: root, name: 'acme' });
    await expect(refused).rejects.toBeInstanceOf(CliError);
    await expect(refused).rejects.toMatchObject({ exitCode: 1, hint: expect.stringContaining('--force') });
    await scaffold({ dir: root, name: 'acme', force: true });
    expect(readFileSync(join(root, 'notes.txt'), 'utf8')).toBe('mine');
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name).toBe('acme');
    expect(readdirSync(root).filter((n) => n.includes('.scaffold-'))).toEqual([]);
  });

  it('leaves nothing behind when aborted mid-copy or when npm install fails', async () => {
    const root = await tempDir();
    const controller = new AbortController();
    const aborted = scaffold({
      dir: 'acme',
      cwd: root,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.step === 'copy' && e.done === 3) controller.abort(new Error('stop'));
      },
    });
    await expect(aborted).rejects.toThrow('stop');
    expect(readdirSync(root)).toEqual([]);

    const templates = join(root, 'templates-fixture');
    await mkdir(join(templates, 'broken'), { recursive: true });
    await writeFile(
      join(templates, 'broken', 'package.json'),
      JSON.stringify({ name: 'b', customChannel: {}, dependencies: { missing: 'file:./does-not-exist.tgz' } }),
    );
    const failing = scaffold({ dir: 'acme2', cwd: root, template: 'broken', templatesDir: templates, install: true });
    await expect(failing).rejects.toThrow(/npm install failed/);
    expect(readdirSync(root)).toEqual(['templates-fixture']);
  }, 60_000);
});

describe('runInit: flags, prompts, defaults', () => {
  function fakePrompts(answers: { name?: string; template?: string; idType?: 'phone' | 'custom'; install?: boolean }) {
    const asked: string[] = [];
    const answer = <T>(key: string, def: T, value: T | undefined): T => {
      asked.push(`${key}:${def}`);
      return value ?? def;
    };
    const prompts: InitPrompts = {
      askName: async (def) => answer('name', def, answers.name),
      askTemplate: async (_t, def) => answer('template', def, answers.template),
      askIdType: async (def) => answer('idType', def, answers.idType),
      askInstall: async (def) => answer('install', def, answers.install),
    };
    return { prompts, asked };
  }

  it('asks each open question in order when interactive, with the template ID type as default', async () => {
    const root = await tempDir();
    const { prompts, asked } = fakePrompts({ name: 'bot-channel', template: 'telegram-bot', install: false });
    const result = await runInit({ flags: {}, interactive: true, prompts, cwd: root });
    expect(asked).toEqual(['name:my-channel', 'template:generic-http', 'idType:custom', 'install:true']);
    expect(result).toMatchObject({ name: 'bot-channel', template: 'telegram-bot', idType: 'custom', installed: false });
    expect(result.dir).toBe(join(root, 'bot-channel'));
  });

  it('asks only what no flag answered, and nothing with --yes or without a TTY', async () => {
    const root = await tempDir();
    const partial = fakePrompts({});
    await runInit({
      dir: 'a',
      flags: { template: 'generic-http', install: false },
      interactive: true,
      prompts: partial.prompts,
      cwd: root,
    });
    expect(partial.asked).toEqual(['name:a', 'idType:phone']);
    const yes = fakePrompts({});
    const result = await runInit({
      dir: 'b',
      flags: { yes: true, install: false },
      interactive: true,
      prompts: yes.prompts,
      cwd: root,
    });
    expect(yes.asked).toEqual([]);
    expect(result).toMatchObject({ name: 'b', template: 'generic-http', idType: 'phone' });
  });

  it('without a TTY needs a folder (or --name or --yes), naming them', async () => {
    const root = await tempDir();
    await expect(runInit({ flags: { install: false }, interactive: false, cwd: root })).rejects.toMatchObject({
      exitCode: 2,
      hint: expect.stringContaining('--name'),
    });
    const named = await runInit({ flags: { name: '@acme/sms', install: false }, interactive: false, cwd: root });
    expect(named).toMatchObject({ name: '@acme/sms', dir: join(root, 'sms') });
  });

  it('fails before asking anything when a flag is wrong or the folder is taken', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'x'), '');
    const { prompts, asked } = fakePrompts({});
    await expect(runInit({ dir: '.', flags: {}, interactive: true, prompts, cwd: root })).rejects.toThrow(
      /is not empty/,
    );
    await expect(
      runInit({ dir: 'n', flags: { template: 'nope' }, interactive: true, prompts, cwd: root }),
    ).rejects.toThrow(/unknown template "nope"/);
    expect(asked).toEqual([]);
  });
});

describe('custom-channel init (built bin)', () => {
  it('scaffolds with flags and prints the next steps; --json emits the result', async () => {
    const root = await tempDir();
    const run = await runCli(['init', 'acme', '--yes', '--no-install', '--link', REPO], { cwd: root });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Created acme in ./acme (template generic-http, ID type phone)');
    expect(run.stdout).toContain('npm install');
    expect(run.stderr).toMatch(/copied \d+ files/);
    const json = await runCli(['init', 'b', '--template', 'clicksend-sms', '--no-install', '--json'], { cwd: root });
    expect(json.code).toBe(0);
    // Run from a checkout, which is not the registry's published version: linked by itself.
    expect(JSON.parse(json.stdout)).toMatchObject({
      name: 'b',
      template: 'clicksend-sms',
      customChannel: `file:${REPO.replace(/\/$/, '')}`,
      linked: expect.stringMatching(/^running from a checkout/),
    });
    const said = await runCli(['init', 'c', '--no-install', '--yes'], { cwd: root });
    expect(said.stdout).toContain('custom-channel is linked to this copy (file:');
    expect(said.stdout).toContain("not the registry's published version");
    expect(await snapshot(join(root, 'b'))).toHaveProperty(['.gitignore']);
  });

  it('exits 1 with a --force hint for a non-empty folder', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'keep.txt'), 'x');
    const run = await runCli(['init', '.', '--yes', '--no-install'], { cwd: root });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('is not empty');
    expect(run.stderr).toMatch(/hint:.*--force/);
    expect(readdirSync(root)).toEqual(['keep.txt']);
  });

  it('exits 2 listing the templates for an unknown one, and naming the rule for a bad name', async () => {
    const root = await tempDir();
    const template = await runCli(['init', 'a', '--template', 'whatsapp', '--yes'], { cwd: root });
    expect(template.code).toBe(2);
    expect(template.stderr).toContain(
      'unknown template "whatsapp" (available: generic-http, clicksend-sms, gupshup-whatsapp, telegram-bot, webchat',
    );
    const name = await runCli(['init', 'a', '--name', 'Acme', '--yes'], { cwd: root });
    expect(name.code).toBe(2);
    expect(name.stderr).toContain('invalid project name "Acme": name can no longer contain capital letters');
    const missing = await runCli(['init', '--no-install'], { cwd: root });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no project folder given');
    expect(readdirSync(root)).toEqual([]);
  });
});

describe('detectSelfSource: is this copy the registry version?', () => {
  it('a checkout links to itself; a registry install does not; a tarball install links to the tarball', async () => {
    const root = await tempDir();
    expect(detectSelfSource(join(root, 'checkout'))).toMatchObject({
      kind: 'link',
      spec: `file:${join(root, 'checkout')}`,
    });

    const installed = join(root, 'npx', 'node_modules', 'custom-channel');
    await mkdir(installed, { recursive: true });
    const lock = (resolved: string) =>
      writeFile(
        join(root, 'npx', 'node_modules', '.package-lock.json'),
        JSON.stringify({ packages: { 'node_modules/custom-channel': { version: '0.1.0', resolved } } }),
      );
    await lock('https://registry.npmjs.org/custom-channel/-/custom-channel-0.1.0.tgz');
    expect(detectSelfSource(installed)).toEqual({ kind: 'registry' });

    await writeFile(join(root, 'custom-channel-0.1.0.tgz'), 'x');
    await lock('file:../custom-channel-0.1.0.tgz');
    expect(detectSelfSource(installed)).toMatchObject({
      kind: 'link',
      spec: `file:${join(root, 'custom-channel-0.1.0.tgz')}`,
      reason: `installed from ${join(root, 'custom-channel-0.1.0.tgz')}`,
    });
  });
});
