/**
 * What respond.io does not document, reported instead of guessed: statuses for unknown mIds,
 * regressions, statuses after `failed`, repeats and timestamps in seconds. Every anomaly is a
 * warning on the record and an `anomaly` event, with the same note.
 */

import type { Problem } from '../contract/problems.js';
import type { StatusEvent } from '../contract/webhook.js';
import type { EmulatorStore } from './store.js';
import type { Anomaly, EmulatorChannel, MessageStatusValue, OutgoingMessageRecord } from './types.js';

/** Said with every anomaly. */
export const NOTE = "respond.io's own behaviour here is undocumented; the emulator reports it and carries on";

/** Below this a "millisecond" timestamp is before 1973: it was almost surely seconds. */
const SECONDS_THRESHOLD = 100_000_000_000;

const RANK: Record<MessageStatusValue, number> = { pending: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

/** A `seconds-timestamp` anomaly when `timestamp` looks like seconds. */
export function secondsAnomaly(
  timestamp: number,
  path: string,
  time: number,
  channelId: string,
  contactId: string,
  mId: string,
): Anomaly | undefined {
  if (timestamp >= SECONDS_THRESHOLD) return undefined;
  return {
    kind: 'seconds-timestamp',
    message: `timestamp ${timestamp} looks like seconds, not milliseconds (as ms it is ${new Date(timestamp).toISOString()})`,
    note: NOTE,
    path,
    time,
    channelId,
    contactId,
    mId,
  };
}

/**
 * Applies one `message_status` event to the outgoing message with its mId, and returns the
 * anomalies it raised. Emulator choices: the history records every reported status, but the
 * current status only moves forward (pending < sent < delivered < read), `failed` is final,
 * a repeat of the current status is not recorded twice (except the server's own "sent" after
 * `/message` gave the mId, which is the normal flow).
 */
export function applyStatusEvent(
  store: EmulatorStore,
  channel: EmulatorChannel,
  contactId: string,
  event: StatusEvent,
  warnings: Problem[],
): Anomaly[] {
  const { channelId } = channel;
  const value = event.status.value;
  const at = store.now();
  const anomaly = (kind: Anomaly['kind'], message: string, messageId?: number): Anomaly => ({
    kind,
    message,
    note: NOTE,
    time: at,
    channelId,
    contactId,
    mId: event.mId,
    ...(messageId === undefined ? {} : { messageId }),
  });
  const found = store.findByMId(channelId, event.mId);
  if (!found) {
    return [anomaly('unknown-mid', `status "${value}" for unknown mId ${JSON.stringify(event.mId)}; ignored`)];
  }
  if (found.traffic === 'incoming') {
    return [
      anomaly(
        'unknown-mid',
        `status "${value}" for mId ${JSON.stringify(event.mId)}, which is a message from the contact, not one the business sent; ignored`,
        found.messageId,
      ),
    ];
  }
  const record: OutgoingMessageRecord = found;
  record.warnings.push(...warnings);
  const out: Anomaly[] = [];
  if (record.contactId !== contactId) {
    out.push(
      anomaly(
        'contact-mismatch',
        `status for mId ${JSON.stringify(event.mId)} came with contactId ${JSON.stringify(contactId)}, but the message went to ${JSON.stringify(record.contactId)}`,
        record.messageId,
      ),
    );
  }
  const entry = {
    value,
    timestamp: at,
    source: 'webhook' as const,
    eventTimestamp: event.timestamp,
    ...(event.status.message === undefined ? {} : { message: event.status.message }),
  };
  const current = record.status;
  if (current === 'failed') {
    out.push(
      anomaly(
        'status-after-failed',
        `status "${value}" after "failed"; recorded, status stays failed`,
        record.messageId,
      ),
    );
    store.transition(record, entry, false);
  } else if (value === 'sent' && current === 'sent' && record.statuses.at(-1)?.source === 'emulator') {
    // The integration server confirming "sent" after `/message` answered is the normal flow.
    store.transition(record, entry, true);
  } else if (value === current) {
    out.push(anomaly('duplicate-status', `status "${value}" repeated; not recorded twice`, record.messageId));
  } else if (value !== 'failed' && RANK[value] < RANK[current]) {
    out.push(
      anomaly(
        'status-regression',
        `status "${value}" after "${current}" (a regression); recorded, status stays ${current}`,
        record.messageId,
      ),
    );
    store.transition(record, entry, false);
  } else {
    store.transition(record, entry, true);
  }
  return out;
}
