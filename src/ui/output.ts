/**
 * The terminal edge: the only module that imports chalk. Services report through the
 * `Reporter` interface and return data; commands render it here.
 */
import { createRequire } from 'node:module';
import type { ChalkInstance } from 'chalk';

// chalk is loaded on first use, not at start-up: `--help` never needs it (about 8 ms saved).
const require = createRequire(import.meta.url);
let chalk: typeof import('chalk') | undefined;
function styleFor(level: 0 | 1): ChalkInstance {
  chalk ??= require('chalk') as typeof import('chalk');
  return new chalk.Chalk({ level });
}

export interface GlobalOptions {
  json: boolean;
  verbose: boolean;
  color: boolean;
}

export interface Reporter {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly style: ChalkInstance;
  /** A human line on stdout (suppressed in --json mode). */
  info(text: string): void;
  /** A green line on stdout (suppressed in --json mode). */
  success(text: string): void;
  /** A warning on stderr. */
  warn(text: string): void;
  /** Detail shown only with --verbose, on stderr. */
  debug(text: string): void;
  /** One JSON document (or NDJSON line) on stdout, only in --json mode. */
  emit(value: unknown): void;
}

export interface ReporterOptions extends GlobalOptions {
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

function colorLevel(color: boolean): 0 | 1 {
  if (!color) return 0;
  if ('NO_COLOR' in process.env && process.env.NO_COLOR !== '') return 0;
  if (process.env.FORCE_COLOR === '0') return 0;
  if (process.env.FORCE_COLOR) return 1;
  return process.stdout.isTTY ? 1 : 0;
}

export function createReporter(options: ReporterOptions): Reporter {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  let style: ChalkInstance | undefined;
  const lazyStyle = () => {
    style ??= styleFor(colorLevel(options.color));
    return style;
  };
  const write = (stream: NodeJS.WritableStream, text: string) => stream.write(`${text}\n`);
  return {
    json: options.json,
    verbose: options.verbose,
    get style() {
      return lazyStyle();
    },
    info: (text) => {
      if (!options.json) write(stdout, text);
    },
    success: (text) => {
      if (!options.json) write(stdout, lazyStyle().green(text));
    },
    warn: (text) => write(stderr, lazyStyle().yellow(`warning: ${text}`)),
    debug: (text) => {
      if (options.verbose) write(stderr, lazyStyle().dim(text));
    },
    emit: (value) => {
      if (options.json) write(stdout, JSON.stringify(value));
    },
  };
}

/** Renders a user-fixable error or a bug on stderr, in the one format the CLI uses. */
export function renderError(
  stream: NodeJS.WritableStream,
  color: boolean,
  message: string,
  hint?: string,
  stack?: string,
): void {
  const style = styleFor(colorLevel(color));
  stream.write(`${style.red('error:')} ${message}\n`);
  if (hint) stream.write(`${style.dim('hint:')} ${hint}\n`);
  if (stack) stream.write(`${style.dim(stack)}\n`);
}
