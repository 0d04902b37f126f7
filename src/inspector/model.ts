/**
 * Turns the inspector's history (exchanges of both legs, replays, emulator events) into
 * conversations: one per contact, a bubble per message with its status ticks, anomalies and
 * the raw exchanges that carried it. Pure and DOM-free: the server answers the API with it and
 * the page rebuilds its view with the very same code on every live entry.
 */
import type { Exchange } from '../exchange.js';
import { applyEmulatorEvent } from './model-emulator.js';
import { type Bubble, type Conversation, type InspectorView, type Note, STATUS_RANK } from './model-types.js';
import type { Entry } from './types.js';

export * from './model-types.js';

const record = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The exchange an entry carries, if any. */
export function exchangeOf(entry: Entry): Exchange | undefined {
  return entry.kind === 'emulator' ? undefined : entry.exchange;
}

/** Why a request failed, from its answer: `{ error: { message } }`, a transport error or the status. */
export function failureReason(exchange: Exchange): string {
  const error = record(record(exchange.responseBody).error);
  return text(error.message) ?? exchange.error ?? `HTTP ${exchange.status || 'no answer'}`;
}

/** Every string in a body, a few levels deep: how callbacks and sends are matched to an mId. */
function stringsIn(value: unknown, out: Set<string>, depth = 0): Set<string> {
  if (typeof value === 'string') out.add(value);
  else if (typeof value === 'number') out.add(String(value));
  else if (value && typeof value === 'object' && depth < 5) {
    for (const item of Object.values(value)) stringsIn(item, out, depth + 1);
  }
  return out;
}

const ok = (exchange: Exchange) => exchange.status >= 200 && exchange.status < 300;
const isSend = (e: Exchange) => e.leg === 'respondio' && e.direction === 'in' && /\/message\/?(\?|$)/.test(e.url);

/** Collects conversations while entries are applied in order; `view()` finishes the job. */
export class ViewBuilder {
  readonly conversations = new Map<string, Conversation>();
  readonly bubbles = new Map<string, Bubble>();
  readonly unmatched: number[] = [];
  /** Emulator present: respond.io's own record wins over what the bridge's exchanges imply. */
  hasEmulator = false;
  #pending: { seq: number; exchange: Exchange }[] = [];
  #sends: { seq: number; exchange: Exchange; bubble: Bubble }[] = [];

  conversation(contactId: string): Conversation {
    let conversation = this.conversations.get(contactId);
    if (!conversation) {
      conversation = { contactId, bubbles: [], notes: [], lastTime: 0, anomalyCount: 0 };
      this.conversations.set(contactId, conversation);
    }
    return conversation;
  }

  /** The bubble under `key`, created on first sight. */
  bubble(key: string, init: Omit<Bubble, 'key' | 'statuses' | 'anomalies' | 'exchanges'>): Bubble {
    let bubble = this.bubbles.get(key);
    if (!bubble) {
      bubble = { key, ...init, statuses: [], anomalies: [], exchanges: [] };
      this.bubbles.set(key, bubble);
      this.conversation(init.contactId).bubbles.push(bubble);
    } else {
      bubble.message ??= init.message;
      bubble.mId ??= init.mId;
    }
    return bubble;
  }

  note(contactId: string | undefined, note: Omit<Note, 'key'>): void {
    if (contactId === undefined) {
      this.unmatched.push(...note.exchanges);
      return;
    }
    const conversation = this.conversation(contactId);
    conversation.notes.push({ key: `n${conversation.notes.length}:${note.time}`, ...note });
  }

  attach(bubble: Bubble, seq: number): void {
    if (!bubble.exchanges.includes(seq)) bubble.exchanges.push(seq);
  }

  add(entry: Entry): void {
    if (entry.kind === 'emulator') {
      this.hasEmulator = true;
      applyEmulatorEvent(this, entry.seq, entry.time, entry.event);
      return;
    }
    const exchange = entry.exchange;
    if (isSend(exchange)) this.#addSend(entry.seq, exchange);
    else if (exchange.leg === 'respondio' && exchange.direction === 'out') this.#addWebhook(entry.seq, exchange);
    else this.#pending.push({ seq: entry.seq, exchange });
  }

  /** respond.io -> bridge `POST /message`: an outbound bubble, `sent` or `failed` by the answer. */
  #addSend(seq: number, exchange: Exchange): void {
    const body = record(exchange.requestBody);
    const contactId = text(body.contactId) ?? exchange.contactId;
    if (contactId === undefined) {
      this.unmatched.push(seq);
      return;
    }
    const mId = ok(exchange) ? text(record(exchange.responseBody).mId) : undefined;
    const bubble = this.bubble(mId ? `out:${mId}` : `x:${seq}`, {
      kind: 'outbound',
      contactId,
      time: exchange.time,
      mId,
      message: record(body.message),
    });
    this.attach(bubble, seq);
    this.#sends.push({ seq, exchange, bubble });
    const at = exchange.time + exchange.latencyMs;
    if (mId) bubble.statuses.push({ value: 'sent', at, source: 'response' });
    else bubble.statuses.push({ value: 'failed', at, message: failureReason(exchange), source: 'response' });
  }

  /** bridge -> respond.io webhook: inbound and echo bubbles, status callbacks, rejections. */
  #addWebhook(seq: number, exchange: Exchange): void {
    const body = record(exchange.requestBody);
    const contactId = text(body.contactId) ?? exchange.contactId;
    const events = Array.isArray(body.events) ? body.events.map(record) : [];
    if (contactId === undefined || events.length === 0) {
      const why = ok(exchange) ? 'webhook without events' : `webhook rejected: ${failureReason(exchange)}`;
      this.note(contactId, { time: exchange.time, text: why, anomaly: true, exchanges: [seq] });
      return;
    }
    const contact = record(body.contact);
    const name = [text(contact.firstName), text(contact.lastName)].filter(Boolean).join(' ');
    if (name) this.conversation(contactId).name = name;
    for (const event of events) {
      const mId = text(event.mId) ?? `?${seq}`;
      const time = typeof event.timestamp === 'number' ? event.timestamp : exchange.time;
      let bubble: Bubble | undefined;
      if (event.type === 'message_status') {
        bubble = this.bubbles.get(`out:${mId}`);
        const status = record(event.status);
        if (!bubble) {
          this.note(contactId, {
            time: exchange.time,
            text: `status ${status.value} for unknown mId ${mId} (respond.io's handling is undocumented)`,
            anomaly: true,
            exchanges: [seq],
          });
          continue;
        }
        if (ok(exchange) && !this.hasEmulator) {
          const value = String(status.value);
          bubble.statuses.push({ value, at: exchange.time, message: text(status.message), source: 'callback' });
        }
      } else {
        const kind = event.type === 'message_echo' ? 'echo' : 'inbound';
        const key = `${kind === 'echo' ? 'echo' : 'in'}:${mId}`;
        const accepted = this.bubbles.get(key)?.accepted;
        bubble = this.bubble(key, { kind, contactId, time, mId, message: record(event.message) });
        if (accepted && ok(exchange) && !this.hasEmulator) bubble.anomalies.push(`duplicate mId ${mId}`);
        if (ok(exchange)) bubble.accepted = true;
      }
      if (time < 1e12) bubble.anomalies.push(`timestamp ${time} looks like seconds, not milliseconds`);
      if (!ok(exchange)) bubble.anomalies.push(`respond.io answered ${exchange.status}: ${failureReason(exchange)}`);
      this.attach(bubble, seq);
    }
  }

  /** Provider-leg exchanges (and anything else): to the bubble whose mId they mention. */
  #attachPending(): void {
    const byMId = new Map<string, Bubble[]>();
    for (const bubble of this.bubbles.values()) {
      if (bubble.mId) byMId.set(bubble.mId, [...(byMId.get(bubble.mId) ?? []), bubble]);
    }
    for (const { seq, exchange } of this.#pending) {
      const strings = stringsIn([exchange.requestBody, exchange.responseBody], new Set());
      if (exchange.mId) strings.add(exchange.mId);
      const hits = [...strings].flatMap((s) => byMId.get(s) ?? []);
      // The provider call made while the bridge handled /message belongs to that message.
      const during = this.#sends.filter(
        (s) =>
          exchange.leg === 'provider' &&
          exchange.direction === 'out' &&
          exchange.time >= s.exchange.time &&
          exchange.time <= s.exchange.time + s.exchange.latencyMs,
      );
      const inWindow = during.length > 1 ? during.filter((s) => s.bubble.contactId === exchange.contactId) : during;
      if (hits.length === 0 && inWindow.length === 1) hits.push(inWindow[0].bubble);
      for (const bubble of new Set(hits)) this.attach(bubble, seq);
      if (hits.length > 0) continue;
      const contactId = exchange.contactId;
      const label = `${exchange.method} ${exchange.url} -> ${exchange.status || 'no answer'}`;
      this.note(contactId && this.conversations.has(contactId) ? contactId : undefined, {
        time: exchange.time,
        text: label,
        anomaly: !ok(exchange),
        exchanges: [seq],
      });
    }
    this.#pending = [];
  }

  /** Finishes statuses, anomalies and ordering. */
  view(): InspectorView {
    this.#attachPending();
    for (const conversation of this.conversations.values()) {
      conversation.bubbles.sort((a, b) => a.time - b.time);
      conversation.notes.sort((a, b) => a.time - b.time);
      for (const bubble of conversation.bubbles) judgeStatuses(bubble, this.hasEmulator);
      conversation.anomalyCount =
        conversation.bubbles.reduce((n, b) => n + b.anomalies.length, 0) +
        conversation.notes.filter((n) => n.anomaly).length;
      conversation.lastTime = Math.max(
        0,
        ...conversation.bubbles.map((b) => b.time),
        ...conversation.notes.map((n) => n.time),
      );
    }
    const conversations = [...this.conversations.values()].sort((a, b) => b.lastTime - a.lastTime);
    return { conversations, unmatched: this.unmatched };
  }
}

/** Current tick, failure reason, and anomalies of the status history (out of order, duplicates). */
function judgeStatuses(bubble: Bubble, emulatorJudges: boolean): void {
  if (bubble.kind !== 'outbound') return;
  let highest: string | undefined;
  const seen = new Set<string>();
  for (const status of bubble.statuses) {
    const value = status.value;
    if (!emulatorJudges && highest) {
      if (seen.has(value) && status.source !== 'response') bubble.anomalies.push(`duplicate status ${value}`);
      else if (highest === 'failed' && value !== 'failed') bubble.anomalies.push(`${value} after failed`);
      else if ((STATUS_RANK[value] ?? 0) < (STATUS_RANK[highest] ?? 0)) {
        bubble.anomalies.push(`${value} arrived after ${highest} (out of order)`);
      }
    }
    seen.add(value);
    if (value === 'failed') bubble.failedReason = status.message ?? bubble.failedReason;
    if (!highest || (STATUS_RANK[value] ?? 0) >= (STATUS_RANK[highest] ?? 0)) highest = value;
  }
  bubble.status = highest ?? 'pending';
  bubble.anomalies = [...new Set(bubble.anomalies)];
}

/**
 * Conversations from history entries, in any order.
 * @example buildView(entries).conversations[0].bubbles[0].status // 'delivered'
 */
export function buildView(entries: readonly Entry[]): InspectorView {
  const builder = new ViewBuilder();
  const sorted = [...entries].sort((a, b) => a.seq - b.seq);
  builder.hasEmulator = sorted.some((e) => e.kind === 'emulator');
  for (const entry of sorted) builder.add(entry);
  return builder.view();
}
