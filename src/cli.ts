/**
 * Builds the program and lists the commands: the one place where commands are registered
 * and the one place that sets the exit code. Only the command being run is imported; the
 * others stand in the listing by name and summary, so `--help` stays fast. Each command file
 * keeps its heavy imports inside its action.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Help } from 'commander';
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

type Register = (program: Command) => void;

interface CommandEntry {
  name: string;
  /** How the top-level help lists it; `test/cli-registry.test.ts` checks it against the real command. */
  term: string;
  summary: string;
  load(): Promise<Register>;
}

/** The commands, in the order `--help` lists them. */
export const commandEntries: CommandEntry[] = [
  {
    name: 'init',
    term: 'init [options] [dir]',
    summary: 'scaffold a provider adapter project from a template',
    load: async () => (await import('./commands/init.js')).registerInit,
  },
  {
    name: 'validate',
    term: 'validate [options] <file>',
    summary: 'check one JSON payload against the respond.io Custom Channel contract',
    load: async () => (await import('./commands/validate.js')).registerValidate,
  },
  {
    name: 'config',
    term: 'config',
    summary: 'read and write respond.io channel settings (tokens stored 0600)',
    load: async () => (await import('./commands/config.js')).registerConfig,
  },
  {
    name: 'simulate',
    term: 'simulate [options] [case...]',
    summary:
      "replay respond.io's payloads (and your provider fixtures) against an integration server and check every answer",
    load: async () => (await import('./commands/simulate.js')).registerSimulate,
  },
  {
    name: 'send',
    term: 'send [options] [text]',
    summary: 'send a message as respond.io would and follow it through the bridge to the provider and back',
    load: async () => (await import('./commands/send.js')).registerSend,
  },
  {
    name: 'demo',
    term: 'demo [options]',
    summary: 'see it all work offline: emulator, bridge and mock provider, every message type and status flow',
    load: async () => (await import('./commands/demo.js')).registerDemo,
  },
  {
    name: 'dev',
    term: 'dev [options]',
    summary: "run the project's adapter behind a local bridge and a supervised public tunnel",
    load: async () => (await import('./commands/dev.js')).registerDev,
  },
  {
    name: 'emulate',
    term: 'emulate [options]',
    summary: "run the offline respond.io emulator: the channel's webhook, its /message calls and the Developer API",
    load: async () => (await import('./commands/emulate.js')).registerEmulate,
  },
  {
    name: 'start',
    term: 'start [options]',
    summary: "run the project's bridge in production mode (no tunnel, no emulator, JSON logs)",
    load: async () => (await import('./commands/start.js')).registerStart,
  },
  {
    name: 'outbox',
    term: 'outbox [options] [action] [id]',
    summary: "show the bridge's undelivered events and dead letters; retry or purge them",
    load: async () => (await import('./commands/outbox.js')).registerOutbox,
  },
  {
    name: 'completion',
    term: 'completion <shell>',
    summary: 'print a shell completion script (bash, zsh or fish), generated from the commands',
    load: async () => (await import('./commands/completion.js')).registerCompletion,
  },
];

/** The command an argv runs (`help <name>` counts), if any; global flags take no values. */
export function commandNameOf(argv: readonly string[]): string | undefined {
  const words = argv.slice(2).filter((word) => !word.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/**
 * The program for this argv: the invoked command is registered for real, the others as
 * listing-only stand-ins. `load: 'all'` registers every command for real (tests).
 */
export async function buildProgram(argv: readonly string[], load: 'invoked' | 'all' = 'invoked'): Promise<Command> {
  const invoked = commandNameOf(argv);
  const program = new Command('custom-channel')
    .description('Build, run and prove respond.io Custom Channel integration servers.')
    .version(pkg.version, '-V, --version')
    .option('--json', 'machine-readable output (JSON or NDJSON)')
    .option('--verbose', 'show debug detail and stack traces')
    .option('--no-color', 'disable colours (NO_COLOR is honoured too)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const terms = new Map(commandEntries.map((entry) => [entry.name, entry.term]));
  const standard = new Help();
  program.configureHelp({
    subcommandTerm: (command) => terms.get(command.name()) ?? standard.subcommandTerm(command),
  });
  for (const entry of commandEntries) {
    if (load === 'all' || entry.name === invoked) (await entry.load())(program);
    else program.command(entry.name).description(entry.summary);
  }
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Where and how errors are printed: on stderr for people; under `--json` also on stdout as JSON. */
export interface ErrorOutput {
  verbose: boolean;
  json?: boolean;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

/** `{"error":{"message","hint"}}`: what a script reading `--json` output gets for any failure. */
function writeJsonError(stream: NodeJS.WritableStream, message: string, hint: string | undefined, exitCode: number) {
  stream.write(`${JSON.stringify({ error: { message, ...(hint ? { hint } : {}), exitCode } })}\n`);
}

/** Maps anything thrown to the exit-code table and prints it in one format. */
export function exitCodeFor(error: unknown, output: boolean | ErrorOutput): number {
  const {
    verbose,
    json = false,
    stdout = process.stdout,
    stderr = process.stderr,
  } = typeof output === 'boolean' ? { verbose: output } : output;
  if (error instanceof CommanderError) {
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help'
    ) {
      return ExitCode.ok;
    }
    const code = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    // commander already printed its message on stderr.
    if (json && code !== ExitCode.ok) {
      writeJsonError(stdout, error.message.replace(/^error: /, ''), 'run with --help for usage', code);
    }
    return code;
  }
  const color = !process.argv.includes('--no-color');
  if (error instanceof CliError) {
    renderError(stderr, color, error.message, error.hint, verbose ? error.stack : undefined);
    if (json) writeJsonError(stdout, error.message, error.hint, error.exitCode);
    return error.exitCode;
  }
  if (error instanceof Error && error.name === 'ExitPromptError') {
    renderError(stderr, color, 'cancelled');
    if (json) writeJsonError(stdout, 'cancelled', undefined, ExitCode.interrupted);
    return ExitCode.interrupted;
  }
  const message = `unexpected error: ${messageOf(error)}`;
  const hint = verbose ? undefined : 'run again with --verbose to see the stack';
  renderError(stderr, color, message, hint, verbose && error instanceof Error ? error.stack : undefined);
  if (json) writeJsonError(stdout, message, hint, ExitCode.failure);
  return ExitCode.failure;
}

/** Runs the CLI and sets `process.exitCode`; long-running commands keep the process alive. */
export async function run(argv: string[]): Promise<void> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
  } catch (error) {
    const verbose = argv.includes('--verbose') || Boolean(process.env.DEBUG);
    process.exitCode = exitCodeFor(error, { verbose, json: argv.includes('--json') });
  }
}
