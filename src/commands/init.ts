import { isAbsolute, relative } from 'node:path';
import { type Command, Option } from 'commander';
import { contextOf } from '../cli.js';
import { idTypes } from '../contract/constants.js';
import { CliError, ExitCode } from '../errors.js';

interface InitCommandFlags {
  name?: string;
  template?: string;
  idType?: 'phone' | 'custom';
  install?: boolean;
  yes?: boolean;
  force?: boolean;
  link?: string;
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('scaffold a provider adapter project from a template')
    .argument('[dir]', 'folder to create (default: the project name)')
    .option('--name <name>', 'npm package name (default: from the folder name)')
    .option('--template <name>', 'template (provider) to start from (default: generic-http)')
    .addOption(
      new Option('--id-type <type>', "the channel's contact ID type (default: the template's)").choices(idTypes),
    )
    .option('--install', 'run npm install (default)')
    .option('--no-install', 'skip npm install')
    .option('-y, --yes', 'accept the defaults for everything not given by a flag; never prompt')
    .option('--force', 'write into a non-empty folder (same-named files are replaced)')
    .option('--link <path>', 'depend on a custom-channel checkout via file: (development; or CUSTOM_CHANNEL_DEV_LINK)')
    .addHelpText(
      'after',
      `
Prompts (name, template, ID type, install) appear only when stdin is a terminal; otherwise
flags and defaults are used. Templates: generic-http (default, runs offline against the
built-in mock provider), clicksend-sms, gupshup-whatsapp, telegram-bot, webchat.
Ctrl-C exits 130 and writes nothing.

Examples:
  $ custom-channel init
  $ custom-channel init acme-sms --template clicksend-sms --yes
  $ custom-channel init bot --template telegram-bot --id-type custom --no-install
  $ custom-channel init shop-chat --template webchat --yes`,
    )
    .action(async (dir: string | undefined, flags: InitCommandFlags, command: Command) => {
      const { reporter } = contextOf(command);
      const [{ runInit }, { createInitProgress }] = await Promise.all([
        import('../scaffold/run-init.js'),
        import('../ui/init-progress.js'),
      ]);
      const progress = createInitProgress(reporter);
      // Ctrl-C while copying or installing: stop, remove the temporary folder, exit 130.
      const controller = new AbortController();
      const onSigint = () =>
        controller.abort(new CliError('cancelled: nothing was written', { exitCode: ExitCode.interrupted }));
      process.once('SIGINT', onSigint);
      try {
        const result = await runInit({
          dir,
          flags,
          interactive: process.stdin.isTTY === true && !reporter.json,
          signal: controller.signal,
          onProgress: progress,
        });
        reporter.emit(result);
        const where = relative(process.cwd(), result.dir) || '.';
        const shown = where.startsWith('.') || isAbsolute(where) ? where : `./${where}`;
        reporter.success(`Created ${result.name} in ${shown} (template ${result.template}, ID type ${result.idType})`);
        if (result.linked) {
          reporter.info(
            `custom-channel is linked to this copy (${result.customChannel}): ${result.linked}, not the registry's published version`,
          );
        }
        reporter.info('\nNext steps:');
        if (where !== '.') reporter.info(`  cd ${where}`);
        if (!result.installed) reporter.info('  npm install');
        reporter.info('  npm test                 # the adapter tests');
        reporter.info(
          '  npx custom-channel dev   # bridge + tunnel; offline: emulator (+ mock provider for generic-http)',
        );
        reporter.info('  Then follow README.md to connect the channel in respond.io.');
      } finally {
        progress.stop();
        process.removeListener('SIGINT', onSigint);
      }
    });
}
