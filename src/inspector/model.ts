/**
 * Turns the inspector's history (exchanges of both legs, replays, emulator events) into
 * conversations: one per contact, a bubble per message with its status ticks, anomalies and
 * the raw exchanges that carried it. Pure and DOM-free: the server answers the API with it and
 * the page rebuilds its view with the very same code on every live entry.
 *
 * With an emulator, its events are respond.io's truth (messages, statuses, anomalies) and the
 * bridge's exchanges only attach to them; without one (real respond.io), the bridge's
 * exchanges alone tell the story.
 */
import type { Exchange } from '../exchange.js';
import { parseJsonOrText } from '../lib/json-depth.js';
import { addExchangeMessages } from './model-bridge.js';
import { applyEmulatorEvent } from './model-emulator.js';
import { judgeStatuses } from './model-status.js';
import type { Bubble, Conversation, InspectorView, Note } from './model-types.js';
import type { Entry } from './types.js';

export * from './model-types.js';

export const record = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
export const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
export const isOk = (exchange: Exchange) => exchange.status >= 200 && exchange.status < 300;
export const isSend = (e: Exchange) =>
  e.leg === 'respondio' && e.direction === 'in' && /\/message\/?(\?|$)/.test(e.url);

/** The exchange an entry carries, if any (bridge records, replays, and the emulator's own). */
export function exchangeOf(entry: Entry): Exchange | undefined {
  if (entry.kind !== 'emulator') return entry.exchange;
  const event = entry.event;
  if (event.type === 'webhook.accepted' || event.type === 'webhook.rejected' || event.type === 'outgoing.response') {
    return event.exchange;
  }
  return undefined;
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

/** Same request seen from both ends (bridge and emulator): method, path and body. */
export function fingerprint(exchange: Exchange): string {
  const path = /^https?:\/\//.test(exchange.url) ? new URL(exchange.url).pathname : exchange.url.split('?')[0];
  let body = exchange.requestBody;
  // Compared as text when it is not JSON (or nests too deep).
  if (typeof body === 'string') body = parseJsonOrText(body);
  return `${exchange.leg}|${exchange.method}|${path.replace(/\/+$/, '')}|${JSON.stringify(body)}`;
}

interface Pending {
  seq: number;
  exchange: Exchange;
  source: 'bridge' | 'emulator';
  /** The emulator's message this exchange belongs to, when it says so. */
  messageId?: number;
}

/** Collects conversations while entries are applied in order; `view()` finishes the job. */
export class ViewBuilder {
  readonly conversations = new Map<string, Conversation>();
  /** By key (`out:<mId>`, `in:<mId>`, `msg:<messageId>`, ...); one bubble may have several keys. */
  readonly bubbles = new Map<string, Bubble>();
  /** The emulator's numeric message IDs. */
  readonly byMessageId = new Map<number, Bubble>();
  readonly unmatched: number[] = [];
  /** Emulator present: respond.io's own record wins over what the bridge's exchanges imply. */
  hasEmulator = false;
  readonly pending: Pending[] = [];
  /** `/message` exchanges that made bubbles (no-emulator mode, replays, direct calls), by seq. */
  readonly sends = new Map<number, Exchange>();
  /** `/message` requests the emulator started, to tell them from replays and direct calls. */
  readonly outgoing: { key: string; time: number; used: boolean }[] = [];
  #replays: { seq: number; replayOf: number }[] = [];

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
    if (entry.kind === 'emulator') applyEmulatorEvent(this, entry.seq, entry.event);
    else if (entry.kind === 'replay') this.#replays.push({ seq: entry.seq, replayOf: entry.exchange.replayOf });
    else if (!this.hasEmulator && addExchangeMessages(this, entry.seq, entry.exchange)) return;
    else if (this.hasEmulator && isSend(entry.exchange) && !this.#fromEmulator(entry.exchange)) {
      // A replay or a direct call: respond.io never sent it, so it will not know its mId either.
      addExchangeMessages(this, entry.seq, entry.exchange);
      const bubble = [...this.bubbles.values()].find((b) => b.exchanges.includes(entry.seq));
      bubble?.anomalies.push('not sent by respond.io (a replay or a direct call): respond.io does not know this mId');
    } else this.pending.push({ seq: entry.seq, exchange: entry.exchange, source: 'bridge' });
  }

  /** Claims the emulator's `outgoing.request` this bridge-side `/message` answers, if any. */
  #fromEmulator(exchange: Exchange): boolean {
    const key = fingerprint(exchange);
    const match = this.outgoing.find((o) => !o.used && o.key === key && Math.abs(o.time - exchange.time) < 15_000);
    if (match) match.used = true;
    return match !== undefined;
  }

  /** Exchanges that created no bubble: to the bubble they belong to, else a note, else unmatched. */
  #attachPending(): void {
    const items = this.#dedupe();
    const byMId = new Map<string, Bubble[]>();
    for (const bubble of new Set(this.bubbles.values())) {
      if (bubble.mId) byMId.set(bubble.mId, [...(byMId.get(bubble.mId) ?? []), bubble]);
    }
    const sends: { exchange: Exchange; bubble: Bubble }[] = [];
    for (const bubble of new Set(this.bubbles.values())) {
      for (const seq of bubble.exchanges) {
        const send = this.sends.get(seq);
        if (send) sends.push({ exchange: send, bubble });
      }
    }
    // Provider sends last: they attach to the /message they happened during.
    const providerOut = (p: Pending) => p.exchange.leg === 'provider' && p.exchange.direction === 'out';
    for (const item of [...items.filter((p) => !providerOut(p)), ...items.filter(providerOut)]) {
      const { seq, exchange } = item;
      // A rejected post's copy, kept only so the dedupe drops the bridge's twin; already on a note.
      if (seq < 0) continue;
      const hits: Bubble[] = [];
      const direct = item.messageId === undefined ? undefined : this.byMessageId.get(item.messageId);
      if (direct) hits.push(direct);
      const strings = stringsIn([exchange.requestBody, exchange.responseBody], new Set());
      if (exchange.mId) strings.add(exchange.mId);
      for (const s of strings) hits.push(...(byMId.get(s) ?? []));
      if (hits.length === 0 && providerOut(item)) {
        const during = sends.filter(
          (s) => exchange.time >= s.exchange.time && exchange.time <= s.exchange.time + s.exchange.latencyMs + 1,
        );
        const own = during.length > 1 ? during.filter((s) => s.bubble.contactId === exchange.contactId) : during;
        if (own.length === 1) hits.push(own[0].bubble);
      }
      for (const bubble of new Set(hits)) {
        this.attach(bubble, seq);
        if (isSend(exchange)) sends.push({ exchange, bubble });
      }
      if (hits.length > 0) continue;
      const contactId = exchange.contactId;
      const about = contactId
        ? this.conversations.get(contactId)?.notes.find((n) => n.mId && strings.has(n.mId))
        : undefined;
      if (about) {
        about.exchanges.push(seq);
        continue;
      }
      this.note(contactId && this.conversations.has(contactId) ? contactId : undefined, {
        time: exchange.time,
        text: `${exchange.method} ${exchange.url} -> ${exchange.status || 'no answer'}`,
        anomaly: !isOk(exchange),
        exchanges: [seq],
      });
    }
    const owners = [...new Set(this.bubbles.values())];
    for (const replay of this.#replays) {
      const owner = owners.find((b) => b.exchanges.includes(replay.replayOf));
      if (owner) this.attach(owner, replay.seq);
      else this.unmatched.push(replay.seq);
    }
  }

  /** The bridge and the emulator both record the HTTP between them: keep respond.io's copy. */
  #dedupe(): Pending[] {
    if (!this.hasEmulator) return this.pending;
    const fromEmulator = this.pending
      .filter((p) => p.source === 'emulator')
      .map((p) => ({ p, key: fingerprint(p.exchange), used: false }));
    const dropped = new Set<Pending>();
    for (const item of this.pending) {
      if (item.source !== 'bridge' || item.exchange.leg !== 'respondio') continue;
      const key = fingerprint(item.exchange);
      const twin = fromEmulator.find(
        (e) => !e.used && e.key === key && Math.abs(e.p.exchange.time - item.exchange.time) < 10_000,
      );
      if (!twin) continue;
      twin.used = true;
      dropped.add(item);
      // The bridge's copy knows the mId it answered; respond.io's copy links by it too.
      twin.p.exchange = { ...twin.p.exchange, mId: twin.p.exchange.mId ?? item.exchange.mId };
    }
    return this.pending.filter((p) => !dropped.has(p));
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
