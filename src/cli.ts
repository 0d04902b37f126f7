/**
 * Builds the program and lists the commands: the one place where commands are registered
 * and the one place that sets the exit code. Each command file keeps its heavy imports
 * inside its action, so `--help` stays fast.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerConfig } from './commands/config.js';
import { registerDemo } from './commands/demo.js';
import { registerDev } from './commands/dev.js';
import { registerEmulate } from './commands/emulate.js';
import { registerInit } from './commands/init.js';
import { registerOutbox } from './commands/outbox.js';
import { registerSend } from './commands/send.js';
import { registerSimulate } from './commands/simulate.js';
import { registerStart } from './commands/start.js';
import { registerValidate } from './commands/validate.js';
import { CliError, ExitCode, messageOf } from './errors.js';
import { createReporter, type GlobalOptions, type Reporter, renderError } from './ui/output.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** What every command's action receives besides its own options. */
export interface CommandContext {
  global: GlobalOptions;
  reporter: Reporter;
}

/** Reads the global flags from any (sub)command and builds the reporter for it. */
export function contextOf(command: Command): CommandContext {
  const raw = command.optsWithGlobals() as { json?: boolean; verbose?: boolean; color?: boolean };
  const global: GlobalOptions = {
    json: raw.json === true,
    verbose: raw.verbose === true || Boolean(process.env.DEBUG),
    color: raw.color !== false,
  };
  return { global, reporter: createReporter(global) };
}

/** The commands, in the order `--help` lists them. */
const commands: Array<(program: Command) => void> = [
  registerInit,
  registerValidate,
  registerConfig,
  registerSimulate,
  registerSend,
  registerDemo,
  registerDev,
  registerEmulate,
  registerStart,
  registerOutbox,
];

export function buildProgram(): Command {
  const program = new Command('custom-channel')
    .description('Build, run and prove respond.io Custom Channel integration servers.')
    .version(pkg.version, '-V, --version')
    .option('--json', 'machine-readable output (JSON or NDJSON)')
    .option('--verbose', 'show debug detail and stack traces')
    .option('--no-color', 'disable colours (NO_COLOR is honoured too)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of commands) register(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Maps anything thrown to the exit-code table and prints it in one format. */
export function exitCodeFor(error: unknown, verbose: boolean): number {
  if (error instanceof CommanderError) {
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help'
    ) {
      return ExitCode.ok;
    }
    // commander already printed its message.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  const color = !process.argv.includes('--no-color');
  if (error instanceof CliError) {
    renderError(process.stderr, color, error.message, error.hint, verbose ? error.stack : undefined);
    return error.exitCode;
  }
  if (error instanceof Error && error.name === 'ExitPromptError') {
    renderError(process.stderr, color, 'cancelled');
    return ExitCode.interrupted;
  }
  renderError(
    process.stderr,
    color,
    `unexpected error: ${messageOf(error)}`,
    verbose ? undefined : 'run again with --verbose to see the stack',
    verbose && error instanceof Error ? error.stack : undefined,
  );
  return ExitCode.failure;
}

/** Runs the CLI and sets `process.exitCode`; long-running commands keep the process alive. */
export async function run(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    const verbose = argv.includes('--verbose') || Boolean(process.env.DEBUG);
    process.exitCode = exitCodeFor(error, verbose);
  }
}
