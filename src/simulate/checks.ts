/**
 * The checks `simulate` runs on each answer, as pure functions over what was observed, so a
 * broken server's fault is named by the check it fails.
 */
import { MessageErrorSchema, MessageSuccessSchema } from '../contract/message-endpoint.js';
import { formatProblem, type Problem, problemsOf } from '../contract/problems.js';
import type { EventType } from '../contract/webhook.js';
import type { CaseExpectation } from './cases.js';

export const checkNames = ['status', 'mid-shape', 'wrong-token', 'error-body', 'events-valid', 'event-types'] as const;
export type CheckName = (typeof checkNames)[number];

export interface CheckResult {
  name: CheckName;
  ok: boolean;
  /** One line saying what was seen; for a failure, what was wrong. */
  message: string;
}

/** What came back from the target, or why nothing did. */
export interface ObservedResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON, or the text when the body is not JSON. */
  body: unknown;
  json: boolean;
  latencyMs: number;
  /** Set when no answer came: `timeout` or the network error. */
  error?: string;
}

/** An event that reached respond.io (the emulator), with its contract validation. */
export interface ObservedEvent {
  type: EventType;
  mId: string;
  contactId: string;
  /** `sent`, `delivered`, ... for `message_status`. */
  status?: string;
  /** Problems of the webhook body that carried it (empty when valid). */
  problems: Problem[];
}

const STACK_LINE = /\n\s+at [^\n]+[(:]\d+/;

/** Why a non-JSON body is wrong, naming the worst case: a leaked stack trace. */
function describeNonJson(response: ObservedResponse): string {
  const type = response.headers['content-type'] ?? 'no content type';
  const text = typeof response.body === 'string' ? response.body : '';
  if (STACK_LINE.test(text) || /<pre>[\s\S]*Error/i.test(text)) {
    return `body is ${type} with a stack trace, not JSON { "error": { "message" } }: it leaks internals`;
  }
  if (text === '') return `body is empty (${type}); expected JSON { "error": { "message" } }`;
  return `body is ${type}, not JSON { "error": { "message" } }: ${JSON.stringify(text.slice(0, 60))}`;
}

function statusMatches(expected: CaseExpectation['status'], status: number): boolean {
  return expected === '4xx' ? status >= 400 && status < 500 : status === expected;
}

/**
 * Checks one answer against a case's expectation: status (or wrong-token, for 401 probes),
 * the `{ mId }` shape of a success, the `{ error: { message } }` shape of a 4xx.
 */
export function checkResponse(
  expect: CaseExpectation,
  response: ObservedResponse,
  options: { leg: 'respondio' | 'provider'; timeLimitMs: number },
): CheckResult[] {
  const statusCheck: CheckName = expect.status === 401 && options.leg === 'respondio' ? 'wrong-token' : 'status';
  const want = expect.status === '4xx' ? 'a 4xx' : String(expect.status);
  if (response.error) {
    const why = response.error === 'timeout' ? `no answer within ${options.timeLimitMs} ms` : response.error;
    return [{ name: statusCheck, ok: false, message: `${why} (expected ${want})` }];
  }
  const checks: CheckResult[] = [];
  const inTime = response.latencyMs <= options.timeLimitMs;
  const statusOk = statusMatches(expect.status, response.status) && (statusCheck !== 'wrong-token' || inTime);
  checks.push({
    name: statusCheck,
    ok: statusOk,
    message: statusOk
      ? `${response.status} in ${Math.round(response.latencyMs)} ms`
      : !statusMatches(expect.status, response.status)
        ? `answered ${response.status}, expected ${want}`
        : `answered ${response.status} after ${Math.round(response.latencyMs)} ms (limit ${options.timeLimitMs} ms)`,
  });
  if (options.leg === 'respondio' && response.status >= 200 && response.status < 300 && expect.status === 200) {
    checks.push(checkMId(response));
  }
  if (response.status >= 400 && response.status < 500 && options.leg === 'respondio') {
    checks.push(checkErrorBody(response));
  } else if (response.status >= 500 && options.leg === 'respondio') {
    // A 5xx on /message is already a failed status check; say what the body leaked too.
    const body = checkErrorBody(response);
    if (!body.ok) checks.push(body);
  }
  return checks;
}

/** `{ "mId": "<string of at most 50 chars>" }`, nothing else. */
export function checkMId(response: ObservedResponse): CheckResult {
  if (!response.json) return { name: 'mid-shape', ok: false, message: describeNonJson(response) };
  const parsed = MessageSuccessSchema.safeParse(response.body);
  if (parsed.success) return { name: 'mid-shape', ok: true, message: `mId ${JSON.stringify(parsed.data.mId)}` };
  const problems = problemsOf(parsed.error, response.body).map(formatProblem);
  return {
    name: 'mid-shape',
    ok: false,
    message: `body ${JSON.stringify(response.body)?.slice(0, 80)} is not { "mId": "<string, max 50>" }: ${problems.join('; ')}`,
  };
}

/** `{ "error": { "message": "<why>" } }` as JSON. */
export function checkErrorBody(response: ObservedResponse): CheckResult {
  if (!response.json) return { name: 'error-body', ok: false, message: describeNonJson(response) };
  const parsed = MessageErrorSchema.safeParse(response.body);
  if (parsed.success) return { name: 'error-body', ok: true, message: JSON.stringify(parsed.data.error.message) };
  const problems = problemsOf(parsed.error, response.body).map(formatProblem);
  return {
    name: 'error-body',
    ok: false,
    message: `body is not { "error": { "message" } }: ${problems.join('; ')}`,
  };
}

/** Every event that reached the emulator passed the contract. */
export function checkEventsValid(events: readonly ObservedEvent[]): CheckResult {
  const bad = events.filter((e) => e.problems.length > 0);
  if (bad.length === 0) return { name: 'events-valid', ok: true, message: `${events.length} valid event(s)` };
  const first = bad[0];
  return {
    name: 'events-valid',
    ok: false,
    message: `${bad.length} event(s) break the contract, e.g. ${first.type} ${first.mId}: ${first.problems.map(formatProblem).join('; ')}`,
  };
}

/** The expected event types arrived (`[]` expects none at all). */
export function checkEventTypes(expected: readonly EventType[], events: readonly ObservedEvent[]): CheckResult {
  const seen = [...new Set(events.map((e) => e.type))];
  const label = (types: readonly string[]) => (types.length ? types.join(', ') : 'none');
  if (expected.length === 0) {
    return events.length === 0
      ? { name: 'event-types', ok: true, message: 'no events, as expected' }
      : { name: 'event-types', ok: false, message: `expected no events, got ${label(seen)}` };
  }
  const missing = expected.filter((t) => !seen.includes(t));
  return missing.length === 0
    ? { name: 'event-types', ok: true, message: `got ${label(seen)}` }
    : { name: 'event-types', ok: false, message: `missing ${label(missing)} (got ${label(seen)})` };
}
