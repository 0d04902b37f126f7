/**
 * The emulator's memory: contacts, messages with their status histories, and the event log
 * with its monotonically increasing `seq`. Pure state, no I/O: the HTTP layers call it, and
 * `persist.ts` snapshots it.
 */
import type { Message } from '../contract/messages.js';
import type { Contact } from '../contract/webhook.js';
import type {
  Anomaly,
  ContactRecord,
  EmulatorEvent,
  EmulatorListener,
  MessageFilter,
  MessageRecord,
  NewEmulatorEvent,
  OutgoingMessageRecord,
  StatusEntry,
} from './types.js';

/** Events kept for `?since=` replay and `waitFor`; older ones are dropped. */
const MAX_EVENTS = 10_000;
const TRIM_CHUNK = 1000;
/** Messages kept (about 0.6 KiB each). Emulator choice: the oldest beyond this are forgotten. */
export const DEFAULT_MAX_MESSAGES = 100_000;

export interface StoreSnapshot {
  nextContactId: number;
  nextMessageId: number;
  contacts: ContactRecord[];
  messages: MessageRecord[];
}

/** A two-level index (channel, then id): no key string is built per lookup. */
class ByChannel<T> {
  #maps = new Map<string, Map<string, T>>();
  get(channelId: string, id: string): T | undefined {
    return this.#maps.get(channelId)?.get(id);
  }
  set(channelId: string, id: string, value: T): void {
    let map = this.#maps.get(channelId);
    if (!map) {
      map = new Map();
      this.#maps.set(channelId, map);
    }
    map.set(id, value);
  }
  delete(channelId: string, id: string): void {
    this.#maps.get(channelId)?.delete(id);
  }
  values(): T[] {
    return [...this.#maps.values()].flatMap((map) => [...map.values()]);
  }
  clear(): void {
    this.#maps.clear();
  }
}

export class EmulatorStore {
  readonly now: () => number;
  #seq = 0;
  #events: EmulatorEvent[] = [];
  #listeners = new Set<EmulatorListener>();
  #contacts = new ByChannel<ContactRecord>();
  #contactsById = new Map<number, ContactRecord>();
  #messages = new Map<number, MessageRecord>();
  #byMId = new ByChannel<MessageRecord>();
  #nextContactId = 1;
  #nextMessageId = 1;
  readonly maxMessages: number;
  /** Messages forgotten to stay within `maxMessages`. */
  evicted = 0;
  /** Called after every change of contacts or messages (persistence). */
  onChange?: () => void;

  constructor(now: () => number, maxMessages = DEFAULT_MAX_MESSAGES) {
    this.now = now;
    this.maxMessages = maxMessages;
  }

  /** Stamps `seq` and `time`, keeps and fans out the event; a throwing listener is isolated. */
  publish(event: NewEmulatorEvent): EmulatorEvent {
    // Callers pass a fresh literal: stamping it in place saves a copy per event.
    const stamped = event as EmulatorEvent;
    stamped.seq = ++this.#seq;
    stamped.time = this.now();
    this.#events.push(stamped);
    // Trimmed in chunks: dropping one at a time would copy the whole array on every event.
    if (this.#events.length > MAX_EVENTS + TRIM_CHUNK) this.#events = this.#events.slice(-MAX_EVENTS);
    for (const listener of this.#listeners) {
      try {
        listener(stamped);
      } catch {
        // A broken listener must not break the emulator.
      }
    }
    return stamped;
  }

  subscribe(listener: EmulatorListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  events(since = 0): EmulatorEvent[] {
    return this.#events.filter((event) => event.seq > since);
  }

  get lastSeq(): number {
    return this.#seq;
  }

  contact(channelId: string, contactId: string): ContactRecord | undefined {
    return this.#contacts.get(channelId, contactId);
  }

  contactById(id: number): ContactRecord | undefined {
    return this.#contactsById.get(id);
  }

  /** The contact, created on first use (with `profile`); later profiles merge in. */
  ensureContact(channelId: string, contactId: string, profile: Contact = {}): ContactRecord {
    const existing = this.contact(channelId, contactId);
    const at = this.now();
    if (existing) {
      const current = existing.profile as Record<string, unknown>;
      // Most posts repeat the same fields: only a real change makes a new profile.
      if (Object.entries(profile).some(([field, value]) => current[field] !== value)) {
        existing.profile = { ...existing.profile, ...profile };
        existing.updatedAt = at;
      }
      return existing;
    }
    const record: ContactRecord = {
      id: this.#nextContactId++,
      channelId,
      contactId,
      profile,
      createdAt: at,
      updatedAt: at,
    };
    this.#contacts.set(channelId, contactId, record);
    this.#contactsById.set(record.id, record);
    this.publish({ type: 'contact.created', channelId, contactId, contact: record });
    return record;
  }

  listContacts(channelId?: string): ContactRecord[] {
    return this.#contacts.values().filter((c) => channelId === undefined || c.channelId === channelId);
  }

  getMessage(messageId: number): MessageRecord | undefined {
    return this.#messages.get(messageId);
  }

  findByMId(channelId: string, mId: string): MessageRecord | undefined {
    return this.#byMId.get(channelId, mId);
  }

  /** Newest first, like the Developer API's list. */
  listMessages(filter: MessageFilter = {}): MessageRecord[] {
    const out: MessageRecord[] = [];
    const all = [...this.#messages.values()];
    for (let i = all.length - 1; i >= 0; i--) {
      const m = all[i];
      if (filter.channelId !== undefined && m.channelId !== filter.channelId) continue;
      if (filter.contactId !== undefined && m.contactId !== filter.contactId) continue;
      if (filter.traffic !== undefined && m.traffic !== filter.traffic) continue;
      if (filter.before !== undefined && m.messageId >= filter.before) continue;
      out.push(m);
      if (filter.limit !== undefined && out.length >= filter.limit) break;
    }
    return out;
  }

  /** Publishes an anomaly and attaches it to its message, when there is one. */
  reportAnomaly(anomaly: Anomaly, record?: MessageRecord): void {
    record?.anomalies.push(anomaly);
    this.publish({
      type: 'anomaly',
      channelId: anomaly.channelId,
      contactId: anomaly.contactId,
      mId: anomaly.mId,
      messageId: anomaly.messageId ?? record?.messageId,
      anomaly,
      message: anomaly.message,
    });
  }

  /** Reserves the next numeric message ID. */
  nextMessageId(): number {
    return this.#nextMessageId++;
  }

  /** Keeps a new message and indexes its mId. */
  addMessage(record: MessageRecord): void {
    this.#add(record);
  }

  /** A new outgoing message in `pending`, before `/message` is called. */
  createOutgoing(
    channelId: string,
    contactId: string,
    message: Message,
    origin: OutgoingMessageRecord['origin'],
    broadcastId?: number,
  ): OutgoingMessageRecord {
    const contact = this.ensureContact(channelId, contactId);
    const at = this.now();
    const record: OutgoingMessageRecord = {
      messageId: this.#nextMessageId++,
      channelId,
      contactId,
      contactNumericId: contact.id,
      message,
      mId: null,
      createdAt: at,
      statuses: [{ value: 'pending', timestamp: at, source: 'emulator' }],
      warnings: [],
      anomalies: [],
      traffic: 'outgoing',
      origin,
      status: 'pending',
      ...(broadcastId === undefined ? {} : { broadcastId }),
    };
    this.#add(record);
    this.publish({ type: 'message.outgoing', channelId, contactId, messageId: record.messageId, record });
    this.onChange?.();
    return record;
  }

  /** Appends a status entry; `apply` moves the current status too. */
  transition(record: OutgoingMessageRecord, entry: StatusEntry, apply = true): void {
    const previous = record.status;
    record.statuses.push(entry);
    if (apply) record.status = entry.value;
    if (entry.value === 'failed' && apply && entry.message) record.error = entry.message;
    this.publish({
      type: 'message.status',
      channelId: record.channelId,
      contactId: record.contactId,
      messageId: record.messageId,
      mId: record.mId ?? undefined,
      status: { value: entry.value, ...(entry.message === undefined ? {} : { message: entry.message }) },
      previous,
      source: entry.source,
    });
    this.onChange?.();
  }

  /** Links an outgoing message to the `mId` that `/message` answered. */
  setMId(record: OutgoingMessageRecord, mId: string): void {
    record.mId = mId;
    this.#byMId.set(record.channelId, mId, record);
  }

  #add(record: MessageRecord): void {
    this.#messages.set(record.messageId, record);
    if (record.mId) this.#byMId.set(record.channelId, record.mId, record);
    if (this.#messages.size > this.maxMessages) this.#evict();
  }

  /** Forgets the oldest messages, a chunk at a time (one walk of the map, not one per message). */
  #evict(): void {
    const excess = this.#messages.size - this.maxMessages + Math.min(TRIM_CHUNK, Math.ceil(this.maxMessages / 10));
    let dropped = 0;
    for (const [messageId, record] of this.#messages) {
      if (dropped >= excess) break;
      this.#messages.delete(messageId);
      if (record.mId && this.#byMId.get(record.channelId, record.mId) === record) {
        this.#byMId.delete(record.channelId, record.mId);
      }
      dropped += 1;
    }
    this.evicted += dropped;
  }

  /** Forgets contacts, messages and events; `seq` keeps increasing so SSE clients stay consistent. */
  reset(): void {
    this.#contacts.clear();
    this.#contactsById.clear();
    this.#messages.clear();
    this.#byMId.clear();
    this.#events = [];
    this.publish({ type: 'reset' });
    this.onChange?.();
  }

  snapshot(): StoreSnapshot {
    return {
      nextContactId: this.#nextContactId,
      nextMessageId: this.#nextMessageId,
      contacts: this.#contacts.values(),
      messages: [...this.#messages.values()],
    };
  }

  restore(snapshot: StoreSnapshot): void {
    this.#nextContactId = snapshot.nextContactId;
    this.#nextMessageId = snapshot.nextMessageId;
    for (const contact of snapshot.contacts) {
      this.#contacts.set(contact.channelId, contact.contactId, contact);
      this.#contactsById.set(contact.id, contact);
    }
    for (const message of snapshot.messages) this.#add(message);
  }
}
