/**
 * A scaffolded integration-server project: its manifest (`customChannel` in package.json),
 * its `.env`, its local state folder and its adapter, loaded from TypeScript source with jiti
 * so users need no build step.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import type { Adapter } from './bridge/adapter.js';
import { defineAdapter } from './bridge/adapter.js';
import { IdTypeSchema } from './contract/ids.js';
import { CliError, messageOf } from './errors.js';

/** Folder of local state inside a project: emulator credentials, outbox, history. */
export const STATE_DIR = '.custom-channel';

/** `customChannel.send` in package.json: the sending leg's retries and send queue. */
const SendSettingsSchema = z.strictObject({
  /** false: no send queue; a message the provider does not take within the budget is answered with the error. */
  queue: z.boolean().optional(),
  /** `/message`'s answer budget in ms (default 5000). */
  budgetMs: z.number().int().min(100).max(60_000).optional(),
  /** Give a queued send up after this long (default 3,600,000 = 1 hour). */
  maxAgeMs: z.number().int().min(1000).optional(),
  /** ...or after this many tries (default 100). */
  maxAttempts: z.number().int().min(1).optional(),
  /** Longest backoff between tries of a queued send in ms (default 15000). */
  retryMaxMs: z.number().int().min(100).optional(),
});
export type SendSettings = z.infer<typeof SendSettingsSchema>;

const ManifestSchema = z.object({
  adapter: z.string().min(1).default('src/adapter.ts'),
  template: z.string().optional(),
  idType: IdTypeSchema.default('phone'),
  send: SendSettingsSchema.optional(),
});

export interface Project {
  root: string;
  name: string;
  /** Absolute path of the adapter module. */
  adapterPath: string;
  template?: string;
  idType: z.infer<typeof IdTypeSchema>;
  /** `customChannel.send`: retries and the send queue. */
  send?: SendSettings;
  /** `<root>/.custom-channel`, or `CUSTOM_CHANNEL_STATE_DIR` when set (resolved from `cwd`). */
  stateDir: string;
  /** The project's `.env`, overlaid by the process environment. */
  env: Record<string, string | undefined>;
}

/**
 * The nearest folder at or above `start` with a package.json, when that package.json has a
 * `customChannel` section. The search stops at the first package.json: a package inside
 * another folder's project is not that project (its adapter must not run from here).
 */
export function findProjectRoot(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        return (JSON.parse(readFileSync(file, 'utf8')) as { customChannel?: unknown }).customChannel ? dir : undefined;
      } catch {
        // An unreadable package.json is not a project, and it ends the search all the same.
        return undefined;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Parses a `.env` file; a missing file is an empty one. */
export function readEnvFile(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  return parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
}

/**
 * Reads the project at or above `cwd`.
 * @example const project = loadProject(process.cwd()); const adapter = await loadAdapter(project.adapterPath);
 */
export function loadProject(cwd: string, env: NodeJS.ProcessEnv = process.env): Project {
  const root = findProjectRoot(cwd);
  if (!root) {
    throw new CliError(`no custom-channel project found in ${cwd} or above`, {
      hint: 'run `custom-channel init` to scaffold one, or cd into your project',
    });
  }
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string; customChannel: unknown };
  const parsed = ManifestSchema.safeParse(pkg.customChannel === true ? {} : pkg.customChannel);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(`package.json customChannel.${issue.path.join('.')}: ${issue.message}`, {
      hint: 'expected { "adapter": "src/adapter.ts", "idType": "phone" | "custom", "send"?: { "queue", "budgetMs", "maxAgeMs", "maxAttempts", "retryMaxMs" } }',
    });
  }
  const adapterPath = resolve(root, parsed.data.adapter);
  if (!existsSync(adapterPath)) {
    throw new CliError(`adapter not found: ${adapterPath}`, { hint: 'fix customChannel.adapter in package.json' });
  }
  if (!isInside(root, adapterPath)) {
    throw new CliError(`package.json customChannel.adapter points outside the project: ${adapterPath}`, {
      hint: `keep the adapter inside ${root} (e.g. "src/adapter.ts")`,
    });
  }
  return {
    root,
    name: pkg.name ?? 'integration-server',
    adapterPath,
    template: parsed.data.template,
    idType: parsed.data.idType,
    ...(parsed.data.send ? { send: parsed.data.send } : {}),
    stateDir: env.CUSTOM_CHANNEL_STATE_DIR ? resolve(cwd, env.CUSTOM_CHANNEL_STATE_DIR) : join(root, STATE_DIR),
    env: { ...readEnvFile(join(root, '.env')), ...env },
  };
}

/** True when `path` (symbolic links resolved) is `root` or inside it. */
function isInside(root: string, path: string): boolean {
  const rel = relative(realpathSync(root), realpathSync(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** This package's own entry, so adapters share our classes (AdapterError) even without an install. */
function selfEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const built = join(here, 'index.js');
  return existsSync(built) ? built : join(here, 'index.ts');
}

export interface LoadAdapterOptions {
  /** Resolve `custom-channel` imports to this running copy (default true). */
  selfAlias?: boolean;
  /**
   * Where transpiled sources are kept between runs, keyed by their content (default
   * `<project>/.custom-channel/cache/jiti`; `false` transpiles every time). Transpiling with
   * babel costs about 300 ms per start; a cache hit costs a file read.
   */
  cacheDir?: string | false;
}

/** The default transpile cache: the project's state folder, else jiti's own default. */
function defaultCacheDir(path: string): string | true {
  const root = findProjectRoot(dirname(path));
  return root ? join(root, STATE_DIR, 'cache', 'jiti') : true;
}

/**
 * Loads an adapter module from TypeScript or JavaScript source, fresh on every call
 * (so `dev` can reload it after an edit), and checks its shape.
 */
export async function loadAdapter(path: string, options: LoadAdapterOptions = {}): Promise<Adapter> {
  const { createJiti } = await import('jiti');
  const jiti = createJiti(pathToFileURL(path).href, {
    // No module cache: `dev` reloads the adapter after an edit. The fs cache is keyed by content.
    moduleCache: false,
    fsCache: options.cacheDir ?? defaultCacheDir(path),
    alias: options.selfAlias === false ? undefined : { 'custom-channel': selfEntry() },
  });
  let loaded: unknown;
  try {
    loaded = await jiti.import(path, { default: true });
  } catch (error) {
    throw new CliError(`cannot load adapter ${path}: ${messageOf(error)}`, {
      hint: 'fix the error above in your adapter; `npx tsc --noEmit` in the project shows type errors',
      cause: error,
    });
  }
  try {
    return defineAdapter(loaded as Adapter);
  } catch (error) {
    throw new CliError(`${path}: ${messageOf(error)}`, {
      hint: 'the adapter module must `export default defineAdapter({ ... })`',
    });
  }
}
