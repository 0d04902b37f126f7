/**
 * The simulate engine: sends each case to a target integration server, records what came back
 * and which events reached respond.io, and runs the checks. Knows nothing about how the target
 * was started, so it works against any server (`--target`).
 */
import { createHmac } from 'node:crypto';
import { maskHeaders, maskSecret } from '../secrets.js';
import type { SimulateCase } from './cases.js';
import {
  type CheckResult,
  checkEventsValid,
  checkEventTypes,
  checkResponse,
  type ObservedEvent,
  type ObservedResponse,
} from './checks.js';
import type { EventObserver } from './observer.js';
import { applyOverrides, applyPlaceholders, type Override, type PlaceholderValues } from './placeholders.js';

export interface EngineOptions {
  /** Base URL of the integration server, e.g. `http://127.0.0.1:3000`. */
  target: string;
  /** The channel's API token (what respond.io sends as Bearer). */
  token: string;
  placeholders: PlaceholderValues;
  overrides?: readonly Override[];
  /** Provider secrets for `{{hmac-sha256:NAME}}` header placeholders. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Watches respond.io (the emulator); without one, event checks are skipped. */
  observer?: EventObserver;
  /** Per-request limit for normal answers (respond.io's emulator waits 10 s). */
  requestTimeoutMs?: number;
  /** A wrong or missing token must be refused within this. */
  authTimeLimitMs?: number;
  /** How long to wait for expected events after an answer. */
  eventWaitMs?: number;
  fetch?: typeof fetch;
  /** Called after each case, for progress display. */
  onCase?(result: CaseResult): void;
}

export interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface CaseResult {
  name: string;
  description: string;
  ok: boolean;
  request: SentRequest;
  response: ObservedResponse;
  /** `undefined` when no observer watched respond.io. */
  events?: ObservedEvent[];
  checks: CheckResult[];
}

const WRONG_TOKEN = 'simulate-wrong-token-0000000000000000000000000';

/** The raw text a case sends: JSON, or `{ "$raw": "..." }` sent byte for byte. */
function bodyText(body: unknown): string {
  if (body && typeof body === 'object' && '$raw' in body && typeof body.$raw === 'string') return body.$raw;
  return JSON.stringify(body);
}

/**
 * Fills `{{env:NAME}}` in header values with the provider setting, and
 * `{{hmac-sha256:NAME}}` with the hex HMAC-SHA256 of the raw body keyed by that setting.
 */
function signHeaders(headers: Record<string, string>, raw: string, env: EngineOptions['env']) {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    out[name] = value
      .replace(/\{\{\s*env:([A-Za-z0-9_]+)\s*\}\}/g, (_, key: string) => env?.[key] ?? '')
      .replace(/\{\{\s*hmac-sha256:([A-Z0-9_]+)\s*\}\}/g, (_, key: string) =>
        createHmac('sha256', env?.[key] ?? '')
          .update(raw)
          .digest('hex'),
      );
  }
  return out;
}

/** Masks the usual secret headers, and any header filled from a provider setting. */
function maskCaseHeaders(headers: Record<string, string>, template: Record<string, string>): Record<string, string> {
  const out = maskHeaders(headers);
  for (const [name, value] of Object.entries(template)) {
    if (/\{\{\s*env:/.test(value) && name in out) out[name] = maskSecret(out[name]);
  }
  return out;
}

async function send(
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
  timeoutMs: number,
  doFetch: typeof fetch,
): Promise<ObservedResponse> {
  const started = performance.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await doFetch(url, { ...init, signal: controller.signal });
    const text = await res.text();
    const headers = Object.fromEntries(res.headers.entries());
    let body: unknown = text;
    let json = false;
    if (text !== '' && /json/i.test(headers['content-type'] ?? '')) {
      try {
        body = JSON.parse(text);
        json = true;
      } catch {
        // Declared JSON but is not: the checks say so.
      }
    }
    return { status: res.status, headers, body, json, latencyMs: performance.now() - started };
  } catch (error) {
    const reason = controller.signal.aborted ? 'timeout' : `no answer: ${(error as Error).cause ?? error}`;
    return {
      status: 0,
      headers: {},
      body: undefined,
      json: false,
      latencyMs: performance.now() - started,
      error: reason,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** What the cases of one run share: mIds already answered, and events already attributed. */
interface RunState {
  knownMIds: Set<string>;
  claimed: Set<ObservedEvent>;
}

/**
 * Sends one case and returns a function that waits for its events and gives the result;
 * the caller decides how much to overlap the waiting.
 */
async function sendCase(testCase: SimulateCase, options: EngineOptions, state: RunState) {
  const body = applyPlaceholders(applyOverrides(testCase.body, options.overrides ?? []), options.placeholders);
  const raw = bodyText(body);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...signHeaders(
      applyPlaceholders(testCase.headers, options.placeholders) as Record<string, string>,
      raw,
      options.env,
    ),
  };
  if (testCase.auth === 'valid') headers.authorization = `Bearer ${options.token}`;
  if (testCase.auth === 'wrong') headers.authorization = `Bearer ${WRONG_TOKEN}`;
  const probe = testCase.expect.status === 401;
  const timeLimitMs = probe ? (options.authTimeLimitMs ?? 2000) : (options.requestTimeoutMs ?? 10_000);
  // `{{env:NAME}}` in the path: a provider secret in the query (ClickSend's ?secret=, Gupshup's), masked when shown.
  const filled: string[] = [];
  const path = testCase.path.replace(/\{\{\s*env:([A-Za-z0-9_]+)\s*\}\}/g, (_, key: string) => {
    const value = options.env?.[key] ?? '';
    if (value) filled.push(encodeURIComponent(value));
    return encodeURIComponent(value);
  });
  const url = new URL(path, options.target.endsWith('/') ? options.target : `${options.target}/`).href;
  const shownUrl = filled.reduce((text, value) => text.split(value).join(maskSecret(value)), url);
  const since = options.observer?.mark() ?? 0;
  const response = await send(
    url,
    { method: testCase.method, headers, body: raw },
    timeLimitMs,
    options.fetch ?? fetch,
  );
  const checks = checkResponse(testCase.expect, response, { leg: testCase.leg, timeLimitMs });
  const mId = (response.body as { mId?: unknown } | undefined)?.mId;
  const exact = testCase.leg === 'respondio' && typeof mId === 'string' && response.status === 200;
  if (typeof mId === 'string') state.knownMIds.add(mId);

  return async (): Promise<CaseResult> => {
    let events: ObservedEvent[] | undefined;
    const expected = testCase.expect.eventTypes;
    if (options.observer && expected) {
      const filter = exact
        ? (e: ObservedEvent) => e.mId === mId
        : // Receipts for other cases' messages keep arriving; they are not this case's events.
          (e: ObservedEvent) => !state.claimed.has(e) && !(e.type === 'message_status' && state.knownMIds.has(e.mId));
      const sent = !response.error && response.status < 300;
      events = await options.observer.collect({
        since,
        filter,
        done: (seen) => expected.every((t) => seen.some((e) => e.type === t)),
        waitMs: sent && expected.length > 0 ? (options.eventWaitMs ?? 3000) : 0,
      });
      for (const event of events) {
        state.claimed.add(event);
        if (event.type === 'message_status') state.knownMIds.add(event.mId);
      }
      checks.push(checkEventsValid(events));
      if (sent || expected.length === 0) checks.push(checkEventTypes(expected, events));
    }
    return {
      name: testCase.name,
      description: testCase.description,
      ok: checks.every((c) => c.ok),
      request: { method: testCase.method, url: shownUrl, headers: maskCaseHeaders(headers, testCase.headers), body },
      response,
      events,
      checks,
    };
  };
}

/**
 * Runs one case against the target.
 * @example await runCase(buildBuiltinCases()[0], { target, token, placeholders })
 */
export async function runCase(testCase: SimulateCase, options: EngineOptions): Promise<CaseResult> {
  const finish = await sendCase(testCase, options, { knownMIds: new Set(), claimed: new Set() });
  return finish();
}

/**
 * Runs cases in order. Respond.io messages are matched to their events by mId, so their waits
 * overlap; every other case waits for all before it, so its events are its own. Results (and
 * `onCase`) come in case order.
 */
export async function runCases(cases: readonly SimulateCase[], options: EngineOptions): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  const state: RunState = { knownMIds: new Set(), claimed: new Set() };
  let reported: Promise<void> = Promise.resolve();
  for (const testCase of cases) {
    const overlaps = testCase.leg === 'respondio' && testCase.expect.status === 200;
    if (!overlaps) await reported;
    const finishing = (await sendCase(testCase, options, state))();
    reported = reported.then(async () => {
      const result = await finishing;
      options.onCase?.(result);
      results.push(result);
    });
  }
  await reported;
  return results;
}
