/**
 * A quick yes for the events providers send most (a text message, a status, with or without a
 * contact's name), checked by hand: every provider webhook checks each event before it is
 * journaled, and the schema's parse (which copies the whole body) was a large part of that.
 * `true` only when WebhookBodySchema certainly accepts the body; `false` means "ask the schema".
 */
import { statusValues } from './constants.js';

const hasOwn = Object.prototype.hasOwnProperty;
const STATUSES: ReadonlySet<unknown> = new Set(statusValues);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isMId = (value: unknown) => typeof value === 'string' && value.length > 0 && value.length <= 50;

/** Exactly `keys` (all present, no other). */
function hasKeys(value: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((key) => hasOwn.call(value, key));
}

function isPlainEvent(event: unknown): boolean {
  if (!isRecord(event) || !isMId(event.mId) || !Number.isSafeInteger(event.timestamp)) return false;
  if (event.type === 'message') {
    const message = event.message;
    return (
      hasKeys(event, ['type', 'mId', 'timestamp', 'message']) &&
      isRecord(message) &&
      hasKeys(message, ['type', 'text']) &&
      message.type === 'text' &&
      typeof message.text === 'string' &&
      message.text.length > 0
    );
  }
  if (event.type === 'message_status') {
    const status = event.status;
    if (!hasKeys(event, ['type', 'mId', 'timestamp', 'status']) || !isRecord(status)) return false;
    if (!STATUSES.has(status.value)) return false;
    return hasOwn.call(status, 'message')
      ? hasKeys(status, ['value', 'message']) && typeof status.message === 'string'
      : hasKeys(status, ['value']);
  }
  return false;
}

/** A contact holding only a first and/or last name (strings). */
function isPlainContact(contact: unknown): boolean {
  if (!isRecord(contact)) return false;
  for (const key of Object.keys(contact)) {
    if ((key !== 'firstName' && key !== 'lastName') || typeof contact[key] !== 'string') return false;
  }
  return true;
}

/**
 * Whether `{ channelId, contactId, events: [event], contact? }` is certainly a valid webhook
 * body (see the top of this file); `contact` undefined means the body has none.
 * @example isPlainWebhookEvent('ch', '+60177872890', { type: 'message', mId: 'm1', timestamp: 1, message: { type: 'text', text: 'hi' } }) // true
 */
export function isPlainWebhookEvent(channelId: string, contactId: unknown, event: unknown, contact?: unknown): boolean {
  if (typeof channelId !== 'string' || channelId.length === 0) return false;
  if (typeof contactId !== 'string' || contactId.length === 0 || contactId.length > 50) return false;
  if (contact !== undefined && !isPlainContact(contact)) return false;
  return isPlainEvent(event);
}
