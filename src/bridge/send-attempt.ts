/**
 * One try of `adapter.send` under a timeout, and what it came to: the provider's mId, a
 * refusal (never retried) or a failure worth another try. Shared by `/message` (tries inside
 * its answer budget) and the send queue (tries in the background).
 */
import type { FastifyBaseLogger } from 'fastify';
import { MId } from '../contract/webhook.js';
import { messageOf } from '../errors.js';
import { atDeadline, cancelDeadline, type DeadlineMember } from '../lib/deadline-slots.js';
import { parseRetryAfter } from '../outbox/backoff.js';
import { type Adapter, AdapterError, RetryableError, type SendInput } from './adapter.js';
import { buildContext, type ContextDeps, type ExchangeTags, type FetchProbe } from './context.js';
import { isNetworkError, isRetryableStatus } from './provider-status.js';

export type AttemptOutcome =
  | { ok: true; mId: string }
  /** The provider will not take it: respond.io gets `status` (4xx) and `error` at once. */
  | { ok: false; retry: false; status: number; error: string }
  /** May pass later: network error, timeout, provider 408/425/429/5xx, `RetryableError`. */
  | { ok: false; retry: true; error: string; retryAfterMs?: number; timedOut?: boolean };

function isNamed<T extends Error>(error: unknown, type: abstract new (...args: never[]) => T): error is T {
  return error instanceof type || (error instanceof Error && error.name === type.name);
}

/** The most telling part of a network error: its code (ECONNREFUSED) or its innermost message. */
function networkDetail(error: unknown): string {
  let message = messageOf(error);
  for (
    let e = error as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth++
  ) {
    if (typeof e.code === 'string') return e.code;
    if (typeof e.message === 'string' && e.message) message = e.message;
    e = e.cause as typeof e;
  }
  return message;
}

/** Why a thrown error is (or is not) worth another try, given what `ctx.fetch` last saw. */
export function classifySendError(error: unknown, probe: FetchProbe, now: number, adapterName: string): AttemptOutcome {
  // By name too: an adapter loaded through its own copy of custom-channel has its own classes.
  if (isNamed<AdapterError>(error, AdapterError)) {
    const status = Number(error.status);
    return { ok: false, retry: false, status: status >= 400 && status < 500 ? status : 400, error: error.message };
  }
  if (isNamed<RetryableError>(error, RetryableError)) {
    const after = Number(error.retryAfterMs);
    return {
      ok: false,
      retry: true,
      error: error.message,
      ...(Number.isFinite(after) && after >= 0 ? { retryAfterMs: after } : {}),
    };
  }
  const message = messageOf(error) || `the ${adapterName} adapter failed to send the message`;
  if (probe.networkError !== undefined || isNetworkError(error)) {
    return { ok: false, retry: true, error: `provider unreachable: ${networkDetail(probe.networkError ?? error)}` };
  }
  if (probe.status !== undefined && isRetryableStatus(probe.status)) {
    return {
      ok: false,
      retry: true,
      error: `${message} (provider answered ${probe.status})`,
      retryAfterMs: parseRetryAfter(probe.retryAfter, now),
    };
  }
  // A plain Error with no provider failure behind it is a bug in the adapter: retrying will not fix it.
  return { ok: false, retry: false, status: 400, error: message };
}

const settleNowhere = () => {};

/** One try: settled by the send or by its deadline, whichever comes first (no closures per try). */
class Attempt implements DeadlineMember {
  controller: AbortController | undefined;
  timedOut = false;
  readonly probe: FetchProbe = {};
  deadline = 0;
  slotIndex = 0;
  /** Called once: the first outcome (the send's or the deadline's) wins. */
  resolve: (outcome: AttemptOutcome) => void = settleNowhere;

  constructor(
    readonly timeoutMs: number,
    readonly outer: AbortSignal | undefined,
  ) {}

  /** Made when needed: most tries end before their timer. */
  get timeoutOutcome(): AttemptOutcome {
    const error = `the provider did not answer within ${Math.round(this.timeoutMs)} ms`;
    return { ok: false, retry: true, error, timedOut: true };
  }

  /** Created on first use: an AbortController per request showed up in profiles. */
  signal(): AbortSignal {
    if (!this.controller) {
      const controller = new AbortController();
      this.controller = controller;
      if (this.timedOut) controller.abort(new Error(`send timed out after ${Math.round(this.timeoutMs)} ms`));
      const outer = this.outer;
      if (outer) {
        if (outer.aborted) controller.abort(outer.reason);
        else outer.addEventListener('abort', () => controller.abort(outer.reason), { once: true });
      }
    }
    return this.controller.signal;
  }

  settle(outcome: AttemptOutcome): void {
    cancelDeadline(this.deadline, this);
    this.#deliver(outcome);
  }

  expire(): void {
    this.timedOut = true;
    this.controller?.abort(new Error(`send timed out after ${Math.round(this.timeoutMs)} ms`));
    this.#deliver(this.timeoutOutcome);
  }

  #deliver(outcome: AttemptOutcome): void {
    const resolve = this.resolve;
    this.resolve = settleNowhere;
    resolve(outcome);
  }
}

/** One try's inputs: `startAttempt`'s, after its `settle`. */
type AttemptArgs = Parameters<typeof startAttempt> extends [unknown, ...infer Rest] ? Rest : never;

/**
 * Runs `adapter.send` once; resolves (never rejects) within about `timeoutMs`.
 * @example const outcome = await attemptSend(adapter, input, deps, log, {}, 5000)
 */
export function attemptSend(...args: AttemptArgs): Promise<AttemptOutcome> {
  return new Promise((resolve) => startAttempt(resolve, ...args));
}

/**
 * `attemptSend` handing its outcome to `settle` (called once, within about `timeoutMs`), for a
 * caller that would otherwise chain a promise of its own onto the try's (`/message`).
 */
export function startAttempt(
  settle: (outcome: AttemptOutcome) => void,
  adapter: Adapter,
  input: SendInput,
  deps: ContextDeps,
  log: FastifyBaseLogger,
  tags: ExchangeTags,
  timeoutMs: number,
  outer?: AbortSignal,
): void {
  const attempt = new Attempt(timeoutMs, outer);
  attempt.resolve = settle;
  const ctx = buildContext(deps, log, attempt, tags, attempt.probe);
  // A shared timer (deadline-slots.ts): a Node timer per try showed in profiles.
  attempt.deadline = atDeadline(timeoutMs, attempt);
  runAttempt(attempt, adapter, input, ctx, deps, log);
}

/** `adapter.send`, its mId checked or its error classified, into `attempt.settle` (no async function: one per try showed in profiles). */
function runAttempt(
  attempt: Attempt,
  adapter: Adapter,
  input: SendInput,
  ctx: ReturnType<typeof buildContext>,
  deps: ContextDeps,
  log: FastifyBaseLogger,
): void {
  const failed = (error: unknown) => settleFailure(attempt, error, adapter, deps, log);
  let result: ReturnType<Adapter['send']>;
  try {
    result = adapter.send(input, ctx);
  } catch (error) {
    failed(error);
    return;
  }
  (result instanceof Promise ? result : Promise.resolve(result)).then(
    (value) => settleResult(attempt, value, adapter, log),
    failed,
  );
}

function settleFailure(attempt: Attempt, error: unknown, adapter: Adapter, deps: ContextDeps, log: FastifyBaseLogger) {
  if (attempt.timedOut) {
    attempt.settle(attempt.timeoutOutcome);
    return;
  }
  const outcome = classifySendError(error, attempt.probe, deps.now(), adapter.name);
  if (!outcome.ok && !outcome.retry && !isNamed(error, AdapterError)) {
    log.error({ err: error }, 'adapter send failed');
  }
  attempt.settle(outcome);
}

function settleResult(
  attempt: Attempt,
  result: Awaited<ReturnType<Adapter['send']>>,
  adapter: Adapter,
  log: FastifyBaseLogger,
): void {
  const value: unknown = result?.mId;
  // MId's rule (a string of 1 to 50), checked by hand for the usual answer: this runs per send.
  if (typeof value === 'string' && value.length > 0 && value.length <= 50) {
    attempt.settle({ ok: true, mId: value });
    return;
  }
  const mId = MId.safeParse(value);
  if (!mId.success) {
    log.error({ mId: value }, 'adapter returned an invalid mId');
    const error = `the ${adapter.name} adapter returned an invalid mId (must be a string of 1 to 50 characters)`;
    attempt.settle({ ok: false, retry: false, status: 400, error });
    return;
  }
  attempt.settle({ ok: true, mId: mId.data });
}
