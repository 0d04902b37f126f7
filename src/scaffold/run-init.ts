/**
 * `runInit`: the `init` command's service. Every answer comes from a flag when given, else a
 * prompt when interactive, else a default; a missing answer without a default fails naming
 * the flag. Then it scaffolds.
 */
import { basename, resolve } from 'node:path';
import { z } from 'zod';
import { type IdType, idTypes } from '../contract/ids.js';
import { usageError } from '../errors.js';
import { packageNameProblem, toPackageName } from './package-name.js';
import {
  assertPackageName,
  assertTarget,
  findTemplate,
  type ScaffoldProgress,
  type ScaffoldResult,
  scaffold,
} from './scaffold.js';
import { DEFAULT_TEMPLATE, listTemplates, templatesDir } from './templates.js';

/** `init`'s flags after commander, checked here once. */
export const InitFlagsSchema = z.object({
  name: z.string().optional(),
  template: z.string().min(1).optional(),
  idType: z.enum(idTypes).optional(),
  install: z.boolean().optional(),
  yes: z.boolean().optional(),
  force: z.boolean().optional(),
  link: z.string().min(1).optional(),
});
export type InitFlags = z.infer<typeof InitFlagsSchema>;

/** The questions, injectable so the service runs without a terminal in tests. */
export interface InitPrompts {
  askName(defaultName: string, validate: (name: string) => string | undefined): Promise<string>;
  askTemplate(templates: ReadonlyArray<{ name: string; description: string }>, defaultName: string): Promise<string>;
  askIdType(defaultType: IdType): Promise<IdType>;
  askInstall(defaultValue: boolean): Promise<boolean>;
}

export interface RunInitOptions {
  dir?: string;
  flags: InitFlags;
  /** Ask for what the flags leave open (only when stdin is a TTY). */
  interactive: boolean;
  /** Default: the terminal prompts of src/ui/prompts.ts, loaded on first use. */
  prompts?: InitPrompts;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  templatesDir?: string;
  signal?: AbortSignal;
  onProgress?(event: ScaffoldProgress): void;
}

/** The folder a package name suggests: `@acme/sms` -> `sms`. */
function folderFor(name: string): string {
  return name.split('/').pop() ?? name;
}

/**
 * Collects the answers and scaffolds.
 * @example await runInit({ dir: 'acme', flags: { template: 'generic-http', yes: true, install: false }, interactive: false })
 */
export async function runInit(options: RunInitOptions): Promise<ScaffoldResult> {
  const flags = InitFlagsSchema.parse(options.flags);
  const cwd = options.cwd ?? process.cwd();
  const dirTemplates = options.templatesDir ?? templatesDir();
  const ask = options.interactive && !flags.yes;
  const prompts = options.prompts ?? (ask ? await import('../ui/prompts.js') : undefined);

  // Fail on what is already known before asking anything.
  if (flags.template) findTemplate(flags.template, dirTemplates);
  if (flags.name !== undefined) assertPackageName(flags.name);
  if (options.dir) assertTarget(resolve(cwd, options.dir), flags.force);

  let name = flags.name;
  if (name === undefined && !options.dir) {
    if (ask && prompts) name = await prompts.askName('my-channel', packageNameProblem);
    else if (flags.yes) name = 'my-channel';
    else {
      throw usageError('no project folder given', 'pass a folder (custom-channel init my-channel), --name, or --yes');
    }
  }
  const dir = options.dir ?? folderFor(name ?? 'my-channel');
  if (!options.dir) assertTarget(resolve(cwd, dir), flags.force);
  if (name === undefined) {
    const suggested = toPackageName(basename(resolve(cwd, dir)));
    name = ask && prompts ? await prompts.askName(suggested, packageNameProblem) : suggested;
  }

  const templates = listTemplates(dirTemplates);
  const template =
    flags.template ?? (ask && prompts ? await prompts.askTemplate(templates, DEFAULT_TEMPLATE) : DEFAULT_TEMPLATE);
  const info = findTemplate(template, dirTemplates);
  const idType = flags.idType ?? (ask && prompts ? await prompts.askIdType(info.idType) : info.idType);
  const install = flags.install ?? (ask && prompts ? await prompts.askInstall(true) : true);

  return scaffold({
    dir,
    name,
    template,
    idType,
    install,
    force: flags.force,
    link: flags.link,
    env: options.env,
    cwd,
    templatesDir: dirTemplates,
    signal: options.signal,
    onProgress: options.onProgress,
  });
}
