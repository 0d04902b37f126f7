import { type Command, Option } from 'commander';
import { contextOf } from '../cli.js';
import { idTypes, type PayloadKind, payloadKindLabels, payloadKinds } from '../contract/constants.js';
import { CliError, ExitCode } from '../errors.js';

interface ValidateFlags {
  kind?: PayloadKind;
  idType?: 'phone' | 'custom';
  strict?: boolean;
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check one JSON payload against the respond.io Custom Channel contract')
    .argument('<file>', 'a JSON file, or - to read stdin')
    .addOption(new Option('--kind <kind>', 'payload kind (detected when omitted)').choices(payloadKinds))
    .addOption(new Option('--id-type <type>', "check contactId against the channel's ID type").choices(idTypes))
    .option('--strict', 'treat grade C rules and unknowns as errors')
    .addHelpText(
      'after',
      `
Kinds: ${payloadKinds.map((k) => `${k} (${payloadKindLabels[k]})`).join(', ')}

Examples:
  $ custom-channel validate webhook.json --id-type phone
  $ echo '{"mId":"abc"}' | custom-channel validate -
  $ custom-channel validate body.json --strict --json`,
    )
    .action(async (file: string, flags: ValidateFlags, command: Command) => {
      const { reporter } = contextOf(command);
      const [{ readJsonInput }, { detectKind, validatePayload }, { formatProblem }] = await Promise.all([
        import('../input.js'),
        import('../contract/validate.js'),
        import('../contract/problems.js'),
      ]);
      const { value, source } = await readJsonInput(file);
      const kind = flags.kind ?? detectKind(value);
      if (!kind) {
        throw new CliError(`${source}: cannot tell what kind of payload this is`, {
          hint: `pass --kind (one of ${payloadKinds.join(', ')})`,
          exitCode: ExitCode.usage,
        });
      }
      const result = validatePayload(value, { kind, idType: flags.idType, strict: flags.strict });
      reporter.emit(result);
      reporter.info(`${source}: ${payloadKindLabels[kind]}${flags.kind ? '' : ' (detected)'}`);
      for (const problem of result.errors)
        reporter.info(`  ${reporter.style.red('error')}   ${formatProblem(problem)}`);
      for (const problem of result.warnings)
        reporter.info(`  ${reporter.style.yellow('warning')} ${formatProblem(problem)}`);
      if (result.valid) {
        const note = result.warnings.length ? ` with ${result.warnings.length} warning(s)` : '';
        reporter.success(`valid${note}`);
      } else {
        reporter.info(reporter.style.red(`invalid: ${result.errors.length} error(s)`));
        process.exitCode = ExitCode.failure;
      }
    });
}
