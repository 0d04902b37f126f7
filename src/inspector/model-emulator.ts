/**
 * Emulator events into the inspector's view. The emulator plays respond.io: its messages, its
 * status history and its anomaly reports are what the page shows; the HTTP it recorded joins
 * the bridge's exchanges under the bubbles.
 */
import type { EmulatorEvent } from '../emulator/types.js';
import { fingerprint, type ViewBuilder } from './model.js';
import type { Bubble } from './model-types.js';

/** The bubble an event is about: by the emulator's message ID, else by mId. */
function find(builder: ViewBuilder, event: EmulatorEvent): Bubble | undefined {
  const byId = event.messageId === undefined ? undefined : builder.byMessageId.get(event.messageId);
  if (byId || !event.mId) return byId;
  return (
    builder.bubbles.get(`out:${event.mId}`) ??
    builder.bubbles.get(`in:${event.mId}`) ??
    builder.bubbles.get(`echo:${event.mId}`)
  );
}

/** Applies one emulator event; events without a bearing on conversations are ignored. */
export function applyEmulatorEvent(builder: ViewBuilder, seq: number, event: EmulatorEvent): void {
  switch (event.type) {
    case 'contact.created': {
      const profile = event.contact.profile ?? {};
      const name = [profile.firstName, profile.lastName].filter(Boolean).join(' ');
      if (name) builder.conversation(event.contact.contactId).name = name;
      return;
    }
    case 'message.inbound':
    case 'message.echo':
    case 'message.outgoing': {
      const r = event.record;
      const kind = event.type === 'message.inbound' ? 'inbound' : event.type === 'message.echo' ? 'echo' : 'outbound';
      const key =
        kind === 'outbound' ? `msg:${r.messageId}` : `${kind === 'echo' ? 'echo' : 'in'}:${r.mId ?? `#${r.messageId}`}`;
      const message = r.message as unknown as Record<string, unknown>;
      const bubble = builder.bubble(key, {
        kind,
        contactId: r.contactId,
        time: r.createdAt,
        mId: r.mId ?? undefined,
        message,
      });
      builder.byMessageId.set(r.messageId, bubble);
      if (kind === 'outbound') {
        for (const s of r.statuses)
          bubble.statuses.push({ value: s.value, at: s.timestamp, message: s.message, source: 'emulator' });
      }
      return;
    }
    case 'message.status': {
      const bubble = find(builder, event);
      if (!bubble) return;
      bubble.statuses.push({
        value: event.status.value,
        at: event.time,
        message: event.status.message,
        source: 'emulator',
      });
      if (event.mId && !bubble.mId) {
        bubble.mId = event.mId;
        builder.bubbles.set(`out:${event.mId}`, bubble);
      }
      return;
    }
    case 'anomaly': {
      const bubble = find(builder, event);
      const why = event.anomaly.message || event.message;
      if (bubble) bubble.anomalies.push(why);
      else
        builder.note(event.contactId ?? event.anomaly.contactId, {
          time: event.time,
          text: why,
          anomaly: true,
          exchanges: [],
          mId: event.mId ?? event.anomaly.mId,
        });
      return;
    }
    case 'webhook.rejected': {
      const paths = event.problems.map((p) => p.path).filter(Boolean);
      const why = `respond.io answered ${event.status}: ${event.message}${paths.length ? ` (${paths.join(', ')})` : ''}`;
      const bubble = find(builder, event);
      if (bubble) {
        bubble.anomalies.push(why);
        builder.attach(bubble, seq);
      } else {
        builder.note(event.contactId, { time: event.time, text: why, anomaly: true, exchanges: [seq] });
      }
      // Still a twin of the bridge's record of the same post: let the dedupe drop that one.
      builder.pending.push({ seq: -seq, exchange: event.exchange, source: 'emulator' });
      return;
    }
    case 'webhook.accepted':
      builder.pending.push({ seq, exchange: event.exchange, source: 'emulator' });
      return;
    case 'outgoing.request':
      builder.outgoing.push({ key: fingerprint(event.exchange), time: event.exchange.time, used: false });
      return;
    case 'outgoing.response':
      builder.pending.push({ seq, exchange: event.exchange, source: 'emulator', messageId: event.messageId });
      return;
    default:
      return;
  }
}
