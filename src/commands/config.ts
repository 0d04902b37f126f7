import type { Command } from 'commander';
import { contextOf } from '../cli.js';

const keysHelp = `
Settings (environment variable in brackets):
  channel-id          Channel ID shown by respond.io      [RESPONDIO_CHANNEL_ID]
  token               channel API Token (secret)          [RESPONDIO_CHANNEL_TOKEN]
  webhook-url         respond.io webhook URL              [RESPONDIO_WEBHOOK_URL]
  id-type             phone | custom                      [RESPONDIO_ID_TYPE]
  dev-api-token       Developer API token (secret)        [RESPONDIO_API_TOKEN]
  dev-api-url         Developer API base URL              [RESPONDIO_API_URL]
  dev-api-channel-id  Developer API numeric channel ID    [RESPONDIO_API_CHANNEL_ID]

Precedence: environment > project (.custom-channel/config.json) > user store > default.
Inside a project, set and unset change the project's settings; --user changes your user store
(every project on this machine), which is also where they go outside a project.

Examples:
  $ custom-channel config set token                 # asks, hidden (not in shell history)
  $ pbpaste | custom-channel config set token -     # reads standard input
  $ custom-channel config set channel-id gfd8g7fd89dgfd --user
  $ custom-channel config list --show-secrets`;

/** The value of `config set`, from the argument, standard input (`-`) or a prompt. */
async function resolveSetValue(name: string, given: string | undefined): Promise<string> {
  if (given !== undefined && given !== '-') return given;
  const [{ configKeys, findConfigKey }, { processValueSource, readSettingValue }] = await Promise.all([
    import('../config/keys.js'),
    import('../config/read-value.js'),
  ]);
  const key = findConfigKey(name);
  // An unknown name: runConfigSet says so before anything is read or asked.
  if (!key) return given ?? '';
  return readSettingValue(configKeys[key], given, processValueSource());
}

function configContext() {
  return { cwd: process.cwd(), env: process.env };
}

export function registerConfig(program: Command): void {
  const config = program
    .command('config')
    .description('read and write respond.io channel settings (tokens stored 0600)')
    .addHelpText('after', keysHelp);

  config
    .command('set')
    .description('store a setting')
    .argument('<key>', 'setting name, e.g. token')
    .argument('[value]', 'the value; "-" reads standard input; omitted on a terminal: asked (hidden for secrets)')
    .option('--project', 'store it in this project (the default inside one)')
    .option('--user', 'store it for your user: every project on this machine')
    .action(
      async (
        key: string,
        given: string | undefined,
        flags: { project?: boolean; user?: boolean },
        command: Command,
      ) => {
        const { reporter } = contextOf(command);
        const { runConfigSet } = await import('../config/run-config.js');
        const value = await resolveSetValue(key, given);
        const result = await runConfigSet(configContext(), key, value, flags);
        reporter.emit(result);
        const where = result.scope === 'project' ? 'this project; --user stores it for every project' : 'your user';
        reporter.success(`${result.key} saved in ${result.file} (${where})`);
      },
    );

  config
    .command('get')
    .description('print the effective value of a setting (secrets masked)')
    .argument('<key>', 'setting name, e.g. token')
    .option('--show-secrets', 'print tokens unmasked')
    .action(async (key: string, flags: { showSecrets?: boolean }, command: Command) => {
      const { reporter } = contextOf(command);
      const { runConfigGet } = await import('../config/run-config.js');
      const setting = await runConfigGet(configContext(), key, flags.showSecrets === true);
      reporter.emit(setting);
      reporter.info(setting.value ?? '');
      if (setting.value === null) process.exitCode = 1;
    });

  config
    .command('list')
    .description('list every setting with its source')
    .option('--show-secrets', 'print tokens unmasked')
    .action(async (flags: { showSecrets?: boolean }, command: Command) => {
      const { reporter } = contextOf(command);
      const { runConfigList } = await import('../config/run-config.js');
      const settings = await runConfigList(configContext(), flags.showSecrets === true);
      reporter.emit(settings);
      for (const s of settings) {
        const source = s.source ? reporter.style.dim(`(${s.source})`) : reporter.style.dim('(not set)');
        reporter.info(`${s.key.padEnd(19)} ${s.value ?? ''} ${source}`);
      }
    });

  config
    .command('unset')
    .description('remove a stored setting')
    .argument('<key>', 'setting name, e.g. token')
    .option('--project', 'remove it from this project (the default inside one)')
    .option('--user', 'remove it from your user store')
    .action(async (key: string, flags: { project?: boolean; user?: boolean }, command: Command) => {
      const { reporter } = contextOf(command);
      const { runConfigUnset } = await import('../config/run-config.js');
      const result = await runConfigUnset(configContext(), key, flags);
      reporter.emit(result);
      reporter.success(`${result.key} removed`);
    });

  config
    .command('path')
    .description('print where settings are stored')
    .action(async (_flags: unknown, command: Command) => {
      const { reporter } = contextOf(command);
      const { runConfigPath } = await import('../config/run-config.js');
      const paths = await runConfigPath(configContext());
      reporter.emit(paths);
      reporter.info(`user:    ${paths.user}`);
      reporter.info(`project: ${paths.project ?? '(not in a project)'}`);
    });
}
