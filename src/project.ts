/**
 * A scaffolded integration-server project: its manifest (`customChannel` in package.json),
 * its `.env`, its local state folder and its adapter, loaded from TypeScript source with jiti
 * so users need no build step.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import type { Adapter } from './bridge/adapter.js';
import { defineAdapter } from './bridge/adapter.js';
import { IdTypeSchema } from './contract/ids.js';
import { CliError, messageOf } from './errors.js';

/** Folder of local state inside a project: emulator credentials, outbox, history. */
export const STATE_DIR = '.custom-channel';

const ManifestSchema = z.object({
  adapter: z.string().min(1).default('src/adapter.ts'),
  template: z.string().optional(),
  idType: IdTypeSchema.default('phone'),
});

export interface Project {
  root: string;
  name: string;
  /** Absolute path of the adapter module. */
  adapterPath: string;
  template?: string;
  idType: z.infer<typeof IdTypeSchema>;
  /** `<root>/.custom-channel`, or `CUSTOM_CHANNEL_STATE_DIR` when set (resolved from `cwd`). */
  stateDir: string;
  /** The project's `.env`, overlaid by the process environment. */
  env: Record<string, string | undefined>;
}

/** The nearest folder at or above `start` whose package.json has a `customChannel` section. */
export function findProjectRoot(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        if ((JSON.parse(readFileSync(file, 'utf8')) as { customChannel?: unknown }).customChannel) return dir;
      } catch {
        // An unreadable package.json is not a project; keep looking up.
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
      hint: 'expected { "adapter": "src/adapter.ts", "idType": "phone" | "custom" }',
    });
  }
  const adapterPath = resolve(root, parsed.data.adapter);
  if (!existsSync(adapterPath)) {
    throw new CliError(`adapter not found: ${adapterPath}`, { hint: 'fix customChannel.adapter in package.json' });
  }
  return {
    root,
    name: pkg.name ?? 'integration-server',
    adapterPath,
    template: parsed.data.template,
    idType: parsed.data.idType,
    stateDir: env.CUSTOM_CHANNEL_STATE_DIR ? resolve(cwd, env.CUSTOM_CHANNEL_STATE_DIR) : join(root, STATE_DIR),
    env: { ...readEnvFile(join(root, '.env')), ...env },
  };
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
}

/**
 * Loads an adapter module from TypeScript or JavaScript source, fresh on every call
 * (so `dev` can reload it after an edit), and checks its shape.
 */
export async function loadAdapter(path: string, options: LoadAdapterOptions = {}): Promise<Adapter> {
  const { createJiti } = await import('jiti');
  const jiti = createJiti(pathToFileURL(path).href, {
    moduleCache: false,
    fsCache: false,
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
