/**
 * Emulator events into the inspector's view. The emulator is respond.io's side: its record of
 * a message's statuses and its anomaly reports are the truth the page shows.
 */
import type { ViewBuilder } from './model.js';
import type { EmulatorEventLike } from './types.js';

const record = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** Applies one emulator event; events the inspector does not know are ignored. */
export function applyEmulatorEvent(builder: ViewBuilder, seq: number, time: number, event: EmulatorEventLike): void {
  const contactId = text(event.contactId);
  const mId = text(event.mId);
  if (event.type.includes('anomal')) {
    const why = text(event.message) ?? text(event.text) ?? event.type;
    const bubble = mId ? (builder.bubbles.get(`out:${mId}`) ?? builder.bubbles.get(`in:${mId}`)) : undefined;
    if (bubble) bubble.anomalies.push(why);
    else builder.note(contactId, { time, text: why, anomaly: true, exchanges: [] });
    return;
  }
  const status = record(event.status);
  if (mId && text(status.value)) {
    const bubble = builder.bubbles.get(`out:${mId}`);
    if (bubble)
      bubble.statuses.push({
        value: String(status.value),
        at: time,
        message: text(status.message),
        source: 'emulator',
      });
  }
  void seq;
}
