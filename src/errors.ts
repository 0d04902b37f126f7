/**
 * One error type for problems the user can fix, and the exit-code table the README publishes.
 * Anything that is not a `CliError` is a bug: the CLI prints a short line and, with
 * `--verbose`, the stack.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface CliErrorOptions {
  /** One line telling the user what to do about it. */
  hint?: string;
  exitCode?: ExitCode;
  cause?: unknown;
}

/**
 * A problem the user can fix.
 * @example throw new CliError('--to is required', { hint: 'pass --to +60177872890', exitCode: ExitCode.usage })
 */
export class CliError extends Error {
  readonly hint?: string;
  readonly exitCode: ExitCode;

  constructor(message: string, options: CliErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'CliError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.failure;
  }
}

/** A usage mistake (bad flag value, missing argument): exit code 2. */
export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, { hint, exitCode: ExitCode.usage });
}

/** The message of anything thrown, without assuming it is an Error. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
