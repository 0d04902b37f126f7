/**
 * The command tree as data, read from the real commander program, so shell completion never
 * drifts from the commands: names, flags (with their choices) and argument choices.
 */
import type { Command } from 'commander';

export interface CompletionOption {
  /** `--json`, `-y`: every spelling. */
  names: string[];
  description: string;
  /** The flag takes a value. */
  takesValue: boolean;
  choices?: readonly string[];
}

export interface CompletionCommand {
  name: string;
  description: string;
  options: CompletionOption[];
  subcommands: CompletionCommand[];
  /** Choices of the first argument (e.g. outbox's list/retry/purge). */
  argChoices?: readonly string[];
}

/** @example buildCompletionModel(await buildProgram(argv, 'all')) */
export function buildCompletionModel(command: Command): CompletionCommand {
  const options: CompletionOption[] = command.options
    .filter((option) => !option.hidden)
    .map((option) => ({
      names: [option.short, option.long].filter((name): name is string => Boolean(name)),
      description: option.description,
      takesValue: option.required || option.optional,
      ...(option.argChoices ? { choices: option.argChoices } : {}),
    }));
  if (command.parent === null) {
    options.push({ names: ['-h', '--help'], description: 'display help', takesValue: false });
  }
  const argChoices = command.registeredArguments[0]?.argChoices;
  return {
    name: command.name(),
    description: command.description(),
    options,
    subcommands: command.commands.map(buildCompletionModel),
    ...(argChoices ? { argChoices } : {}),
  };
}
