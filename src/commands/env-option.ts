/**
 * Flags with an environment twin: every flag of `start`, `dev` and `emulate` can also be set by
 * a variable (containers and PaaS platforms configure through the environment). commander shows
 * the twin in `--help` as `(env: NAME)`; a flag on the command line wins over its variable.
 *
 * @example
 * envOption(command, '--rate-limit <n>', 'webhook posts per second', 'CUSTOM_CHANNEL_RATE_LIMIT');
 * envOption(command, '--no-metrics', 'do not serve /metrics', 'CUSTOM_CHANNEL_NO_METRICS');
 */
import { type Command, Option } from 'commander';

/** Values of a boolean flag's variable that mean "not set" (commander alone counts any value). */
const OFF = new Set(['', '0', 'false', 'no', 'off']);

export interface EnvOptionSettings {
  default?: unknown;
  /** Allowed values (commander checks them, from the command line and the variable alike). */
  choices?: readonly string[];
  /** Flags this one cannot be combined with. */
  conflicts?: string | string[];
}

/** The conventional twin of a flag: `--tunnel-host` -> `CUSTOM_CHANNEL_TUNNEL_HOST` (with a prefix: `CUSTOM_CHANNEL_<PREFIX>_…`). */
export function envNameOf(flag: string, prefix?: string): string {
  const words = flag
    .replace(/^--/, '')
    .replace(/[^a-z0-9]+/gi, '_')
    .toUpperCase();
  return `CUSTOM_CHANNEL_${prefix ? `${prefix.toUpperCase()}_` : ''}${words}`;
}

/**
 * Adds a flag and its environment variable to `command`. For a boolean flag the variable counts
 * when set to anything but `0`, `false`, `no`, `off` or nothing.
 */
export function envOption(
  command: Command,
  flags: string,
  description: string,
  env: string,
  settings: EnvOptionSettings = {},
): Command {
  const option = new Option(flags, description).env(env);
  if (settings.default !== undefined) option.default(settings.default);
  if (settings.choices) option.choices(settings.choices);
  if (settings.conflicts) option.conflicts(settings.conflicts);
  command.addOption(option);
  if (!option.required && !option.optional) {
    // Registered after commander's own listener: undo it when the variable says "off".
    command.on(`optionEnv:${option.name()}`, () => {
      if (!OFF.has((process.env[env] ?? '').trim().toLowerCase())) return;
      const key = option.attributeName();
      command.setOptionValueWithSource(key, option.negate ? true : settings.default, 'default');
    });
  }
  return command;
}
