/**
 * Without an emulator (the bridge talks to the real respond.io), the bridge's exchanges on the
 * respond.io leg are the only record: `/message` makes outbound bubbles, webhook posts make
 * inbound and echo bubbles and carry the statuses.
 */
import type { Exchange } from '../exchange.js';
import { failureReason, isOk, isSend, record, text, type ViewBuilder } from './model.js';
import type { Bubble } from './model-types.js';

/** Applies a respond.io-leg exchange; `false` when it carries no message (attach it later). */
export function addExchangeMessages(builder: ViewBuilder, seq: number, exchange: Exchange): boolean {
  if (isSend(exchange)) return addSend(builder, seq, exchange);
  if (exchange.leg === 'respondio' && exchange.direction === 'out') return addWebhook(builder, seq, exchange);
  return false;
}

/** respond.io -> bridge `POST /message`: an outbound bubble, `sent` or `failed` by the answer. */
function addSend(builder: ViewBuilder, seq: number, exchange: Exchange): boolean {
  const body = record(exchange.requestBody);
  const contactId = text(body.contactId) ?? exchange.contactId;
  if (contactId === undefined) return false;
  const mId = isOk(exchange) ? text(record(exchange.responseBody).mId) : undefined;
  const bubble = builder.bubble(mId ? `out:${mId}` : `x:${seq}`, {
    kind: 'outbound',
    contactId,
    time: exchange.time,
    mId,
    message: record(body.message),
  });
  builder.attach(bubble, seq);
  builder.sends.set(seq, exchange);
  const at = exchange.time + exchange.latencyMs;
  if (mId) bubble.statuses.push({ value: 'sent', at, source: 'response' });
  else bubble.statuses.push({ value: 'failed', at, message: failureReason(exchange), source: 'response' });
  return true;
}

/** bridge -> respond.io webhook: inbound and echo bubbles, status callbacks, rejections. */
function addWebhook(builder: ViewBuilder, seq: number, exchange: Exchange): boolean {
  const body = record(exchange.requestBody);
  const contactId = text(body.contactId) ?? exchange.contactId;
  const events = Array.isArray(body.events) ? body.events.map(record) : [];
  if (contactId === undefined || events.length === 0) {
    const why = isOk(exchange) ? 'webhook without events' : `webhook rejected: ${failureReason(exchange)}`;
    builder.note(contactId, { time: exchange.time, text: why, anomaly: true, exchanges: [seq] });
    return true;
  }
  const contact = record(body.contact);
  const name = [text(contact.firstName), text(contact.lastName)].filter(Boolean).join(' ');
  if (name) builder.conversation(contactId).name = name;
  for (const event of events) {
    const mId = text(event.mId) ?? `?${seq}`;
    const time = typeof event.timestamp === 'number' ? event.timestamp : exchange.time;
    let bubble: Bubble | undefined;
    if (event.type === 'message_status') {
      bubble = builder.bubbles.get(`out:${mId}`);
      const status = record(event.status);
      if (!bubble) {
        builder.note(contactId, {
          time: exchange.time,
          text: `status ${status.value} for unknown mId ${mId} (respond.io's handling is undocumented)`,
          anomaly: true,
          exchanges: [seq],
        });
        continue;
      }
      if (isOk(exchange)) {
        const value = String(status.value);
        bubble.statuses.push({ value, at: exchange.time, message: text(status.message), source: 'callback' });
      }
    } else {
      const kind = event.type === 'message_echo' ? 'echo' : 'inbound';
      const key = `${kind === 'echo' ? 'echo' : 'in'}:${mId}`;
      const accepted = builder.bubbles.get(key)?.accepted;
      bubble = builder.bubble(key, { kind, contactId, time, mId, message: record(event.message) });
      if (accepted && isOk(exchange)) bubble.anomalies.push(`duplicate mId ${mId}`);
      if (isOk(exchange)) bubble.accepted = true;
    }
    if (time < 1e12) bubble.anomalies.push(`timestamp ${time} looks like seconds, not milliseconds`);
    if (!isOk(exchange)) bubble.anomalies.push(`respond.io answered ${exchange.status}: ${failureReason(exchange)}`);
    builder.attach(bubble, seq);
  }
  return true;
}
