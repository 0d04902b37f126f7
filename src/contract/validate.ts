/**
 * `validatePayload`: is this payload what respond.io will accept (or send)? Grade A/B rules
 * of the contract are errors; grade C rules and undocumented territory (unknown fields,
 * timestamps that look like seconds) are warnings, promoted to errors with `strict`.
 */
import type { z } from 'zod';
import { type PayloadKind, payloadKindLabels, payloadKinds } from './constants.js';
import { DevApiSendBodySchema } from './developer-api.js';
import { contactIdProblem, type IdType } from './ids.js';
import { MessageErrorSchema, MessageRequestSchema, MessageSuccessSchema } from './message-endpoint.js';
import type { Message } from './messages.js';
import { type Problem, problemsOf } from './problems.js';
import { WebhookBodySchema } from './webhook.js';

export { type PayloadKind, payloadKindLabels, payloadKinds };

/** The schema for a kind; a `/message` response is judged as an error body when it has `error`. */
function schemaFor(kind: PayloadKind, payload: unknown): z.ZodType {
  switch (kind) {
    case 'webhook':
      return WebhookBodySchema;
    case 'message':
      return MessageRequestSchema;
    case 'dev-api-send':
      return DevApiSendBodySchema;
    case 'message-response':
      return payload && typeof payload === 'object' && 'error' in payload ? MessageErrorSchema : MessageSuccessSchema;
  }
}

export interface ValidateOptions {
  /** Checks `contactId` against the channel's ID type. */
  idType?: IdType;
  /** Grade C rules and unknowns become errors. */
  strict?: boolean;
}

export interface ValidationResult {
  valid: boolean;
  kind: PayloadKind;
  errors: Problem[];
  warnings: Problem[];
}

/** Why a grade C rule or an unknown is only a warning: said once, the same everywhere. */
export const UNDOCUMENTED = "respond.io's behaviour here is undocumented";
const SECONDS_THRESHOLD = 100_000_000_000; // 1e11 ms is 1973; 1e11 s is the year 5138.

/**
 * Guesses the kind of a payload from its shape; `undefined` when nothing fits.
 * @example detectKind({ mId: 'abc' }) // 'message-response'
 */
export function detectKind(payload: unknown): PayloadKind | undefined {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  const keys = new Set(Object.keys(payload));
  if (keys.has('events')) return 'webhook';
  if (keys.has('mId') || keys.has('error')) return 'message-response';
  if (keys.has('message') && keys.has('contactId')) return 'message';
  if (keys.has('message') && typeof (payload as { channelId?: unknown }).channelId === 'number') {
    return 'dev-api-send';
  }
  if (keys.has('message')) return 'message';
  return undefined;
}

/** Grade C findings about one message object at `at`. */
function messageWarnings(message: Message, at: string, inbound: boolean): Problem[] {
  const out: Problem[] = [];
  if (message.type === 'location') {
    out.push({
      path: `${at}.type`,
      message: `location messages are grade C (one third-party source); ${UNDOCUMENTED}`,
    });
    if (message.latitude < -90 || message.latitude > 90) {
      out.push({ path: `${at}.latitude`, message: `must be between -90 and 90 (got ${message.latitude})` });
    }
    if (message.longitude < -180 || message.longitude > 180) {
      out.push({ path: `${at}.longitude`, message: `must be between -180 and 180 (got ${message.longitude})` });
    }
  }
  if (inbound && (message.type === 'quick_reply' || message.type === 'custom_payload')) {
    out.push({
      path: `${at}.type`,
      message: `${message.type} sent to respond.io is grade C (documented only outbound); ${UNDOCUMENTED}`,
    });
  }
  if (message.type === 'attachment' && message.attachment.description !== undefined) {
    out.push({ path: `${at}.attachment.description`, message: `grade C field; ${UNDOCUMENTED}` });
  }
  return out;
}

function timestampWarning(timestamp: number, at: string): Problem[] {
  if (timestamp >= SECONDS_THRESHOLD) return [];
  return [
    {
      path: at,
      message: `looks like seconds, not milliseconds (${timestamp} is ${new Date(timestamp).toISOString()})`,
    },
  ];
}

/** The grade C checks of a payload that passed the A/B schema. */
function gradeCWarnings(kind: PayloadKind, payload: Record<string, unknown>): Problem[] {
  if (kind === 'webhook') {
    const events = payload.events as Array<{ type: string; timestamp: number; message?: Message }>;
    return events.flatMap((event, i) => [
      ...timestampWarning(event.timestamp, `events[${i}].timestamp`),
      ...(event.message ? messageWarnings(event.message, `events[${i}].message`, true) : []),
    ]);
  }
  if (kind === 'message' || kind === 'dev-api-send') {
    return messageWarnings(payload.message as Message, 'message', false);
  }
  return [];
}

/** Grade A: "tagged messages ... cannot be sent" on a Custom Channel; an error in every mode. */
function taggedMessageErrors(kind: PayloadKind, payload: Record<string, unknown>): Problem[] {
  if (kind !== 'message' && kind !== 'dev-api-send') return [];
  const message = payload.message as Record<string, unknown> | undefined;
  if (!message || typeof message !== 'object' || !('messageTag' in message)) return [];
  return [
    {
      path: 'message.messageTag',
      message: 'tagged messages cannot be sent on a Custom Channel (respond.io); remove messageTag',
    },
  ];
}

/**
 * Validates one payload against respond.io's contract.
 * @example validatePayload(body, { kind: 'webhook', idType: 'phone' }).errors
 */
export function validatePayload(
  payload: unknown,
  options: ValidateOptions & { kind?: PayloadKind } = {},
): ValidationResult {
  const kind = options.kind ?? detectKind(payload) ?? 'webhook';
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  const body = payload as Record<string, unknown>;
  if (body && typeof body === 'object') errors.push(...taggedMessageErrors(kind, body));
  const parsed = schemaFor(kind, payload).safeParse(payload);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const problems = problemsOf({ issues: [issue] }, payload).filter((p) => p.path !== 'message.messageTag');
      // Extra fields are not forbidden by respond.io, only undocumented.
      if (issue.code === 'unrecognized_keys') {
        warnings.push(...problems.map((p) => ({ ...p, message: `${p.message}; ${UNDOCUMENTED}` })));
      } else {
        errors.push(...problems);
      }
    }
  }
  if (errors.length === 0 && body && typeof body === 'object') {
    warnings.push(...gradeCWarnings(kind, body));
  }
  if (options.idType && typeof body?.contactId === 'string' && (kind === 'webhook' || kind === 'message')) {
    const reason = contactIdProblem(body.contactId, options.idType);
    if (reason) errors.push({ path: 'contactId', message: reason });
  }
  if (options.strict) {
    errors.push(...warnings.splice(0));
  }
  return { valid: errors.length === 0, kind, errors, warnings };
}
