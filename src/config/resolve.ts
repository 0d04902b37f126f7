/**
 * Where settings come from, strongest first: environment variables, the project file
 * (`<project>/.custom-channel/config.json`), the user store (conf, in the OS config folder),
 * then built-in defaults. Files holding tokens are written 0600.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, messageOf } from '../errors.js';
import { findProjectRoot, STATE_DIR } from '../project.js';
import { writePrivateFile } from '../secrets.js';
import { type ConfigKey, configKeyList, configKeys } from './keys.js';

export type ConfigSource = 'env' | 'project' | 'user' | 'default';
export type ConfigValues = Partial<Record<ConfigKey, string>>;

export interface ResolvedSetting {
  key: ConfigKey;
  value?: string;
  source?: ConfigSource;
}

export interface ConfigStores {
  /** Reads the user-level store. */
  user: { read(): ConfigValues; write(values: ConfigValues): void; path: string };
  /** The project file, when inside a project. */
  projectPath?: string;
}

export interface ResolvedConfig {
  values: ConfigValues;
  sources: Partial<Record<ConfigKey, ConfigSource>>;
  /** True when a real respond.io channel is configured (channel ID and token from somewhere). */
  hasChannelCredentials: boolean;
}

/** The user-level store, backed by conf (created 0600). `cwd` overrides the folder (tests, portable setups). */
export async function openUserStore(cwd?: string): Promise<ConfigStores['user']> {
  const [{ default: Conf }, { default: envPaths }] = await Promise.all([import('conf'), import('env-paths')]);
  // The folder conf would pick, computed here so an unreadable file can be named.
  const folder = cwd ?? envPaths('custom-channel', { suffix: '' }).config;
  const path = join(folder, 'config.json');
  const corrupt = (error: unknown) =>
    new CliError(`${path} (your user config) is not valid: ${messageOf(error)}`, {
      hint: `fix it by hand, or delete it and store your settings again with \`custom-channel config set\``,
    });
  let conf: InstanceType<typeof Conf<ConfigValues>>;
  try {
    conf = new Conf<ConfigValues>({
      projectName: 'custom-channel',
      projectSuffix: '',
      configFileMode: 0o600,
      cwd: folder,
    });
  } catch (error) {
    throw corrupt(error);
  }
  return {
    path: conf.path,
    read: () => {
      try {
        return { ...conf.store };
      } catch (error) {
        throw corrupt(error);
      }
    },
    write: (values) => {
      conf.store = values;
    },
  };
}

export function projectConfigPath(cwd: string): string | undefined {
  const root = findProjectRoot(cwd);
  return root ? join(root, STATE_DIR, 'config.json') : undefined;
}

/**
 * The project file's settings; none when there is no file. A file that cannot be read or is not
 * a JSON object is an error naming it: ignoring it would lose its token and channel at the next
 * `config set --project`, which rewrites the file from what was read.
 */
export function readProjectConfig(path: string | undefined): ConfigValues {
  if (!path || !existsSync(path)) return {};
  let values: unknown;
  try {
    values = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw corruptProjectConfig(path, messageOf(error));
  }
  if (!values || typeof values !== 'object' || Array.isArray(values)) {
    throw corruptProjectConfig(path, 'expected a JSON object of settings');
  }
  return values as ConfigValues;
}

function corruptProjectConfig(path: string, why: string): CliError {
  return new CliError(`${path} (the project config) is not valid: ${why}`, {
    hint: 'fix it by hand (it holds the channel token), or delete it and set the values again with `custom-channel config set --project`',
  });
}

/**
 * The project layer: the project's `.custom-channel/config.json`, over what its package.json
 * manifest says (`customChannel.idType`, chosen at `init`).
 */
export function readProjectLayer(cwd: string): ConfigValues {
  const root = findProjectRoot(cwd);
  if (!root) return {};
  let manifestIdType: string | undefined;
  try {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      customChannel?: { idType?: unknown };
    };
    if (typeof pkg.customChannel?.idType === 'string') manifestIdType = pkg.customChannel.idType;
  } catch {
    // findProjectRoot already parsed it; a race with an editor is not worth an error here.
  }
  const file = readProjectConfig(join(root, STATE_DIR, 'config.json'));
  return manifestIdType ? { idType: manifestIdType, ...file } : file;
}

export async function writeProjectConfig(path: string, values: ConfigValues): Promise<void> {
  await writePrivateFile(path, `${JSON.stringify(values, null, 2)}\n`);
}

/**
 * Merges the sources by precedence: env > project > user > default.
 * @example resolveSettings({ env: process.env, project: {}, user: { token: 'x' } }).values.token // 'x'
 */
export function resolveSettings(layers: {
  env: NodeJS.ProcessEnv;
  project: ConfigValues;
  user: ConfigValues;
}): ResolvedConfig {
  const values: ConfigValues = {};
  const sources: ResolvedConfig['sources'] = {};
  for (const key of configKeyList) {
    const spec = configKeys[key] as { env: string; default?: string };
    const candidates: Array<[ConfigSource, string | undefined]> = [
      ['env', layers.env[spec.env] || undefined],
      ['project', layers.project[key]],
      ['user', layers.user[key]],
      ['default', spec.default],
    ];
    const found = candidates.find(([, value]) => value !== undefined && value !== '');
    if (found) {
      values[key] = found[1];
      sources[key] = found[0];
    }
  }
  return { values, sources, hasChannelCredentials: Boolean(values.channelId && values.token) };
}

export interface ResolveConfigOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Folder of the user store (default: the OS config folder, honouring XDG_CONFIG_HOME). */
  userConfigDir?: string;
}

/**
 * Every setting with where it came from.
 * @example const { values } = await resolveConfig(); values.webhookUrl
 */
export async function resolveConfig(options: ResolveConfigOptions = {}): Promise<ResolvedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const user = await openUserStore(options.userConfigDir);
  return resolveSettings({
    env: options.env ?? process.env,
    project: readProjectLayer(cwd),
    user: user.read(),
  });
}
