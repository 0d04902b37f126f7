/**
 * The services behind `custom-channel config`: set, get, list, unset, path.
 */
import { CliError, ExitCode, usageError } from '../errors.js';
import { maskSecret } from '../secrets.js';
import { type ConfigKey, configKeyList, configKeys, findConfigKey } from './keys.js';
import {
  type ConfigSource,
  openUserStore,
  projectConfigPath,
  readProjectConfig,
  readProjectLayer,
  resolveSettings,
  writeProjectConfig,
} from './resolve.js';

export interface ConfigContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  userConfigDir?: string;
}

export interface SettingView {
  key: string;
  value: string | null;
  source: ConfigSource | null;
  env: string;
}

function keyOf(name: string): ConfigKey {
  const key = findConfigKey(name);
  if (!key) {
    throw usageError(
      `unknown setting "${name}"`,
      `use one of: ${configKeyList.map((k) => configKeys[k].name).join(', ')}`,
    );
  }
  return key;
}

function view(
  key: ConfigKey,
  value: string | undefined,
  source: ConfigSource | undefined,
  showSecrets: boolean,
): SettingView {
  const spec = configKeys[key];
  const shown = value === undefined ? null : spec.secret && !showSecrets ? maskSecret(value) : value;
  return { key: spec.name, value: shown, source: source ?? null, env: spec.env };
}

async function layers(context: ConfigContext) {
  const user = await openUserStore(context.userConfigDir);
  const projectPath = projectConfigPath(context.cwd);
  // `project` is the file alone (what set/unset --project rewrite); `layer` adds the manifest.
  return { user, projectPath, project: readProjectConfig(projectPath), layer: readProjectLayer(context.cwd) };
}

export interface ScopeOptions {
  /** The project's file (the default inside a project). */
  project?: boolean;
  /** The user store, shared by every project on this machine (the default outside one). */
  user?: boolean;
}

/** Inside a project a setting belongs to it, unless `--user` says otherwise. */
function scopeOf(options: ScopeOptions, projectPath: string | undefined): 'project' | 'user' {
  if (options.project && options.user) throw usageError('--project and --user exclude each other', 'pick one');
  if (options.user) return 'user';
  return options.project || projectPath ? 'project' : 'user';
}

/**
 * Stores a checked value: in the project's file inside a project (or with `project`), in the
 * user store outside one or with `user`.
 */
export async function runConfigSet(
  context: ConfigContext,
  name: string,
  value: string,
  options: ScopeOptions,
): Promise<{ key: string; file: string; scope: 'project' | 'user' }> {
  const key = keyOf(name);
  const checked = configKeys[key].schema.safeParse(value);
  if (!checked.success) {
    throw usageError(`${configKeys[key].name}: ${checked.error.issues[0].message}`, configKeys[key].description);
  }
  const { user, projectPath, project } = await layers(context);
  if (scopeOf(options, projectPath) === 'project') {
    if (!projectPath) {
      throw new CliError('--project needs a custom-channel project here', {
        hint: 'cd into a project made by `custom-channel init`, or drop --project to store it for your user',
        exitCode: ExitCode.usage,
      });
    }
    await writeProjectConfig(projectPath, { ...project, [key]: checked.data });
    return { key: configKeys[key].name, file: projectPath, scope: 'project' };
  }
  user.write({ ...user.read(), [key]: checked.data });
  return { key: configKeys[key].name, file: user.path, scope: 'user' };
}

/** One setting's effective value and its source. */
export async function runConfigGet(context: ConfigContext, name: string, showSecrets: boolean): Promise<SettingView> {
  const key = keyOf(name);
  const { user, layer } = await layers(context);
  const resolved = resolveSettings({ env: context.env, project: layer, user: user.read() });
  return view(key, resolved.values[key], resolved.sources[key], showSecrets);
}

export async function runConfigList(context: ConfigContext, showSecrets: boolean): Promise<SettingView[]> {
  const { user, layer } = await layers(context);
  const resolved = resolveSettings({ env: context.env, project: layer, user: user.read() });
  return configKeyList.map((key) => view(key, resolved.values[key], resolved.sources[key], showSecrets));
}

/** Removes a setting from where `set` would store it (the project inside one, unless `user`). */
export async function runConfigUnset(context: ConfigContext, name: string, options: ScopeOptions) {
  const key = keyOf(name);
  const { user, projectPath, project } = await layers(context);
  if (scopeOf(options, projectPath) === 'project') {
    if (projectPath && key in project) {
      const { [key]: _removed, ...rest } = project;
      await writeProjectConfig(projectPath, rest);
    }
    return { key: configKeys[key].name, file: projectPath ?? null };
  }
  const { [key]: _removed, ...rest } = user.read();
  user.write(rest);
  return { key: configKeys[key].name, file: user.path };
}

export async function runConfigPath(context: ConfigContext): Promise<{ user: string; project: string | null }> {
  const { user, projectPath } = await layers(context);
  return { user: user.path, project: projectPath ?? null };
}
