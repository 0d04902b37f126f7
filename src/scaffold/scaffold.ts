/**
 * `scaffold()`: a template copied into a new project folder, package.json edited, optionally
 * installed. Everything is written into a temporary sibling folder first and moved into place
 * at the end, so an interruption (Ctrl-C, a failed install) leaves no half-written project.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { IdType } from '../contract/ids.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { copyTemplateFiles, listTemplateFiles } from './copy.js';
import { runInstall } from './install.js';
import { buildPackageJson, customChannelSpec } from './package-json.js';
import { packageNameProblem, toPackageName } from './package-name.js';
import { detectSelfSource, type SelfSource } from './self-source.js';
import { DEFAULT_TEMPLATE, listTemplates, packageRoot, type TemplateInfo, templatesDir } from './templates.js';

/** What `scaffold` reports while it works (the CLI renders it as a progress display). */
export type ScaffoldProgress =
  | { step: 'copy'; done: number; total: number; file?: string }
  | { step: 'install'; state: 'start' | 'done' }
  | { step: 'install'; state: 'line'; line: string }
  | { step: 'done'; dir: string };

export interface ScaffoldOptions {
  /** Target folder, relative to `cwd`. */
  dir: string;
  /** npm package name; default: made from the folder name. */
  name?: string;
  /** Template folder name; default `generic-http`. */
  template?: string;
  /** Default: the template's own ID type. */
  idType?: IdType;
  /** Run `npm install` before moving the project into place (default false). */
  install?: boolean;
  /** Write into a non-empty folder: the template's files replace same-named ones, others stay. */
  force?: boolean;
  /** Depend on this checkout with `file:` instead of the registry (default: `CUSTOM_CHANNEL_DEV_LINK`). */
  link?: string;
  /** Where this copy came from (default: detected); a link source makes the project depend on it. */
  selfSource?: SelfSource;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where templates live (default: the package's `templates/`). */
  templatesDir?: string;
  signal?: AbortSignal;
  onProgress?(event: ScaffoldProgress): void;
}

export interface ScaffoldResult {
  dir: string;
  name: string;
  template: string;
  idType: IdType;
  /** Files written, relative to `dir`, sorted (not counting `node_modules`). */
  files: string[];
  installed: boolean;
  /** The `custom-channel` dependency spec written to package.json. */
  customChannel: string;
  /** Set when the project was linked to this copy by itself: why (a checkout, a tarball). */
  linked?: string;
  durationMs: number;
}

/** Finds a template by name, or throws a usage error listing them. */
export function findTemplate(name: string, dir = templatesDir()): TemplateInfo {
  const templates = listTemplates(dir);
  const found = templates.find((t) => t.name === name);
  if (!found) {
    const names = templates.map((t) => t.name).join(', ');
    throw usageError(`unknown template "${name}" (available: ${names})`, `pass --template with one of: ${names}`);
  }
  return found;
}

/** Throws a usage error naming the npm rule `name` breaks. */
export function assertPackageName(name: string): void {
  const problem = packageNameProblem(name);
  if (problem) {
    throw usageError(
      `invalid project name "${name}": ${problem}`,
      'pass --name with a valid npm package name, e.g. my-channel',
    );
  }
}

/** Throws when `dir` is a file, or a non-empty folder without `force`. */
export function assertTarget(dir: string, force = false): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory())
    throw new CliError(`${dir} exists and is not a folder`, { hint: 'choose another folder' });
  if (!force && readdirSync(dir).length > 0) {
    throw new CliError(`${dir} is not empty`, {
      hint: 'choose an empty or new folder, or pass --force to write into it (same-named files are replaced)',
      exitCode: ExitCode.failure,
    });
  }
}

/** Moves every entry of `from` into the existing folder `to`, replacing same-named ones. */
async function moveInto(from: string, to: string): Promise<void> {
  for (const entry of readdirSync(from)) {
    await rm(join(to, entry), { recursive: true, force: true });
    await rename(join(from, entry), join(to, entry));
  }
  await rm(from, { recursive: true, force: true });
}

/**
 * Scaffolds a project from a template.
 * @example await scaffold({ dir: 'acme-sms', template: 'clicksend-sms', install: true })
 */
export async function scaffold(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const started = performance.now();
  const dir = resolve(options.cwd ?? process.cwd(), options.dir);
  const template = findTemplate(options.template ?? DEFAULT_TEMPLATE, options.templatesDir);
  const name = options.name ?? toPackageName(basename(dir));
  assertPackageName(name);
  assertTarget(dir, options.force);
  const idType = options.idType ?? template.idType;
  const env = options.env ?? process.env;
  // Not the registry's published version (a checkout, a tarball): link to this copy instead.
  const source = options.link || env.CUSTOM_CHANNEL_DEV_LINK ? undefined : (options.selfSource ?? detectSelfSource());
  const customChannel = customChannelSpec({ link: options.link, env, source });
  const files = await listTemplateFiles(template.dir);
  const report = options.onProgress ?? (() => {});

  await mkdir(dirname(dir), { recursive: true });
  const temp = join(dirname(dir), `.${basename(dir)}.scaffold-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(temp);
    report({ step: 'copy', done: 0, total: files.length });
    const written = await copyTemplateFiles(
      template.dir,
      temp,
      files,
      (file, done) => report({ step: 'copy', done, total: files.length, file }),
      options.signal,
    );
    const pkgPath = join(temp, 'package.json');
    const pkg = buildPackageJson(JSON.parse(await readFile(pkgPath, 'utf8')), {
      name,
      idType,
      template: template.name,
      customChannel,
    });
    await writeFile(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
    let linked = source?.kind === 'link' ? source.reason : undefined;
    let dependency = customChannel;
    if (options.install) {
      report({ step: 'install', state: 'start' });
      const install = () =>
        runInstall(temp, {
          env: options.env,
          signal: options.signal,
          onLine: (line) => report({ step: 'install', state: 'line', line }),
        });
      try {
        await install();
      } catch (error) {
        // The registry does not have this version (yet): the running copy is the one to use.
        if (!dependency.startsWith('^') || !/E404|404 Not Found/.test((error as Error).message)) throw error;
        dependency = `file:${packageRoot()}`;
        linked = `the registry has no custom-channel@${customChannel.slice(1)}`;
        pkg.dependencies = { ...pkg.dependencies, 'custom-channel': dependency };
        await writeFile(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
        await install();
      }
      report({ step: 'install', state: 'done' });
    }
    options.signal?.throwIfAborted();
    if (existsSync(dir)) await moveInto(temp, dir);
    else await rename(temp, dir);
    report({ step: 'done', dir });
    return {
      dir,
      name,
      template: template.name,
      idType,
      files: written.sort(),
      installed: options.install === true,
      customChannel: dependency,
      ...(linked ? { linked } : {}),
      durationMs: performance.now() - started,
    };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
