/**
 * An accepted webhook post into the store, in order: the contact on first contact (with the
 * `contact` fields), messages, echoes and status updates, with anomalies reported.
 *
 * Emulator choices: a repeated `mId` (message or echo) is reported and not stored again; a
 * `message_echo` is stored as an outgoing message already `sent`; a post with only status
 * events does not create a contact.
 */
import type { Problem } from '../contract/problems.js';
import type { WebhookBody } from '../contract/webhook.js';
import { applyStatusEvent, NOTE, secondsAnomaly } from './anomalies.js';
import type { EmulatorStore } from './store.js';
import type { EmulatorChannel, InboundMessageRecord, OutgoingMessageRecord, StatusEntry } from './types.js';

/**
 * Stores an accepted webhook post in order: contact, messages, echoes, statuses.
 * `warnings` are the contract's grade C findings for the whole body.
 */
export function applyWebhook(
  store: EmulatorStore,
  channel: EmulatorChannel,
  body: WebhookBody,
  warnings: Problem[],
): void {
  const { channelId } = channel;
  const { contactId } = body;
  body.events.forEach((event, i) => {
    const at = `events[${i}]`;
    const own = warnings.length === 0 ? [] : warnings.filter((w) => w.path === at || w.path.startsWith(`${at}.`));
    const seconds = secondsAnomaly(event.timestamp, `${at}.timestamp`, store.now(), channelId, contactId, event.mId);
    if (event.type === 'message_status') {
      const anomalies = applyStatusEvent(store, channel, contactId, event, own);
      if (seconds) anomalies.unshift(seconds);
      const target = store.findByMId(channelId, event.mId);
      for (const anomaly of anomalies) store.reportAnomaly(anomaly, target);
      return;
    }
    const duplicate = store.findByMId(channelId, event.mId);
    if (duplicate) {
      // Emulator choice: a repeated mId is reported and not stored a second time.
      store.reportAnomaly(
        {
          kind: 'duplicate-mid',
          message: `${event.type} with mId ${JSON.stringify(event.mId)} repeats message ${duplicate.messageId}; not stored again`,
          note: NOTE,
          path: `${at}.mId`,
          time: store.now(),
          channelId,
          contactId,
          mId: event.mId,
          messageId: duplicate.messageId,
        },
        duplicate,
      );
      return;
    }
    const contact = store.ensureContact(channelId, contactId, body.contact);
    const messageId = store.nextMessageId();
    const createdAt = store.now();
    if (event.type === 'message') {
      const record: InboundMessageRecord = {
        messageId,
        channelId,
        contactId,
        contactNumericId: contact.id,
        message: event.message,
        mId: event.mId,
        createdAt,
        statuses: [],
        warnings: own,
        anomalies: [],
        traffic: 'incoming',
        origin: 'contact',
        timestamp: event.timestamp,
      };
      store.addMessage(record);
      store.publish({
        type: 'message.inbound',
        channelId,
        contactId,
        messageId: record.messageId,
        mId: event.mId,
        record,
      });
      if (seconds) store.reportAnomaly(seconds, record);
    } else {
      const sent: StatusEntry = {
        value: 'sent',
        timestamp: store.now(),
        source: 'webhook',
        eventTimestamp: event.timestamp,
      };
      const record: OutgoingMessageRecord = {
        messageId,
        channelId,
        contactId,
        contactNumericId: contact.id,
        message: event.message,
        mId: event.mId,
        createdAt,
        warnings: own,
        anomalies: [],
        timestamp: event.timestamp,
        traffic: 'outgoing',
        origin: 'echo',
        status: 'sent',
        statuses: [sent],
      };
      store.addMessage(record);
      store.publish({
        type: 'message.echo',
        channelId,
        contactId,
        messageId: record.messageId,
        mId: event.mId,
        record,
      });
      if (seconds) store.reportAnomaly(seconds, record);
    }
  });
  store.onChange?.();
}
