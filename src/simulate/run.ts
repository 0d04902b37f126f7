/**
 * `runSimulate`: the service behind `custom-channel simulate`. Against `--target` it needs
 * only a URL and a token; by default it starts the project's own bridge with the emulator and
 * a stand-in provider, so it can also see which events reached respond.io.
 */

import { join } from 'node:path';
import { resolveConfig } from '../config/resolve.js';
import { usageError } from '../errors.js';
import { findProjectRoot, readEnvFile } from '../project.js';
import type { StackOptions } from '../send/stack.js';
import {
  adaptCasesToCapabilities,
  buildBuiltinCases,
  loadProjectCases,
  type SimulateCase,
  selectCases,
} from './cases.js';
import { type CaseResult, runCases } from './engine.js';
import { buildPlaceholderValues, parseOverride } from './placeholders.js';

export interface SimulateOptions {
  /** Case names, prefixes (`outbound/`) or JSON files; empty with `all` runs every case. */
  cases?: string[];
  all?: boolean;
  /** Any integration server's base URL; default: the project's own bridge, started here. */
  target?: string;
  /** The channel token the target expects (default: from config). */
  token?: string;
  channelId?: string;
  contactId?: string;
  /** `path=value` edits applied to every request body. */
  overrides?: string[];
  /** Project folder (default: the current directory). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** A wrong token must be refused within this (default 2000 ms). */
  authTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** How long to wait for the events a case should cause (default 3000 ms). */
  eventWaitMs?: number;
  /** Start a stack of its own even when the project's `dev` is running. */
  ownStack?: boolean;
  /** Called first when the running dev session is used. */
  onSession?(line: string): void;
  onCase?(result: CaseResult): void;
  /** The local bridge's log lines (the adapter's `ctx.log`); not used with `target`. */
  onLog?: StackOptions['onLog'];
}

export interface SimulateReport {
  target: string;
  /**
   * `local`: the project's bridge, emulator and stand-in provider were started for this run;
   * `session`: the running `dev` session's were used.
   */
  mode: 'local' | 'session' | 'target';
  /** False when nothing watched respond.io's side (an external `--target`). */
  eventsObserved: boolean;
  cases: CaseResult[];
  passed: number;
  failed: number;
  ok: boolean;
  durationMs: number;
}

export interface CaseListing {
  name: string;
  leg: SimulateCase['leg'];
  description: string;
}

const DEFAULT_CONTACT = { phone: '+60177872890', custom: '100200300' } as const;

/** Every case `simulate` knows here: built-in ones, then the project's provider fixtures. */
export function listSimulateCases(cwd = process.cwd()): SimulateCase[] {
  const root = findProjectRoot(cwd);
  return [...buildBuiltinCases(), ...(root ? loadProjectCases(root) : [])];
}

/**
 * Replays cases and checks every answer.
 * @example const report = await runSimulate({ all: true, target: 'http://127.0.0.1:3000', token })
 */
export async function runSimulate(options: SimulateOptions): Promise<SimulateReport> {
  const cwd = options.cwd ?? process.cwd();
  const wanted = options.cases ?? [];
  if (wanted.length === 0 && !options.all) {
    throw usageError('name the cases to run, or pass --all', 'run `custom-channel simulate --list` to see them');
  }
  const overrides = (options.overrides ?? []).map(parseOverride);
  const started = performance.now();
  if (options.target) {
    const config = await resolveConfig({ cwd, env: options.env });
    const token = options.token ?? config.values.token;
    if (!token) {
      throw usageError(
        '--target needs the channel token the server expects',
        'pass --token <token>, or set it with `custom-channel config set token`',
      );
    }
    const idType = config.values.idType === 'custom' ? 'custom' : 'phone';
    // Inside a project, its provider cases go to the target too (e.g. a bridge `dev` runs).
    const all = listSimulateCases(cwd);
    const cases = wanted.length === 0 ? all : selectCases(all, wanted);
    const results = await runCases(cases, {
      target: options.target,
      token,
      placeholders: buildPlaceholderValues(
        options.channelId ?? config.values.channelId ?? 'simulate-channel',
        options.contactId ?? DEFAULT_CONTACT[idType],
      ),
      overrides,
      env: providerEnv(cwd, options.env ?? process.env),
      authTimeLimitMs: options.authTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      onCase: options.onCase,
    });
    return summarize(options.target, 'target', false, results, started);
  }
  const { openStack, sessionLine } = await import('../send/session-stack.js');
  // The mock provider's pause between callbacks only slows the event checks down here.
  const stack = await openStack({
    cwd,
    env: options.env,
    ownStack: options.ownStack,
    providerStepMs: 10,
    onLog: options.onLog,
  });
  if (stack.session) options.onSession?.(sessionLine(stack.session));
  try {
    const all = adaptCasesToCapabilities(listSimulateCases(stack.project.root), stack.capabilities);
    const cases = wanted.length === 0 ? all : selectCases(all, wanted);
    const results = await runCases(cases, {
      target: stack.bridgeUrl,
      token: stack.channel.token,
      placeholders: buildPlaceholderValues(
        stack.channel.channelId,
        options.contactId ?? DEFAULT_CONTACT[stack.channel.idType as keyof typeof DEFAULT_CONTACT],
      ),
      overrides,
      env: stack.env,
      observer: stack.observer,
      authTimeLimitMs: options.authTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      eventWaitMs: options.eventWaitMs,
      onCase: options.onCase,
    });
    return summarize(stack.bridgeUrl, stack.session ? 'session' : 'local', true, results, started);
  } finally {
    await stack.close();
  }
}

/** Provider secrets for signed provider cases: the project's `.env` (if any) under the environment. */
function providerEnv(cwd: string, env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const root = findProjectRoot(cwd);
  return root ? { ...readEnvFile(join(root, '.env')), ...env } : env;
}

function summarize(
  target: string,
  mode: SimulateReport['mode'],
  eventsObserved: boolean,
  cases: CaseResult[],
  started: number,
): SimulateReport {
  const passed = cases.filter((c) => c.ok).length;
  return {
    target,
    mode,
    eventsObserved,
    cases,
    passed,
    failed: cases.length - passed,
    ok: passed === cases.length,
    durationMs: performance.now() - started,
  };
}
