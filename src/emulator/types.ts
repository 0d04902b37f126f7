/**
 * Public types of the embedded respond.io emulator: what `startEmulator` takes and returns,
 * the records it keeps and the events it publishes (in-process via `subscribe`, and over HTTP
 * at `GET /_emulator/events` as Server-Sent Events).
 */
import type { IdType } from '../contract/ids.js';
import type { Message } from '../contract/messages.js';
import type { Problem } from '../contract/problems.js';
import type { Contact } from '../contract/webhook.js';
import type { Exchange } from '../exchange.js';

/** One emulated Custom Channel: what respond.io shows after "Connect". */
export interface EmulatorChannel {
  /** respond.io's channel ID (a string), e.g. `gfd8g7fd89dgfd`. */
  channelId: string;
  /** The numeric channel ID the Developer API uses (`channelId` in `/v2` bodies). Emulator choice: 1, 2, … */
  numericId: number;
  /** The channel's API token, used both ways as `Authorization: Bearer <token>`. */
  token: string;
  idType: IdType;
  /** The integration server's API Base URL; respond.io POSTs to `<apiBaseUrl>/message`. */
  apiBaseUrl?: string;
  name?: string;
}

/** Fault injection on the webhook (to prove an integration server's retry logic). */
export interface EmulatorFaults {
  /** Added before every webhook answer, ms. */
  latencyMs: number;
  /** 0..1: share of webhook posts answered 503 before any other check. */
  failureRate: number;
  /** Answer every webhook post 429 with `Retry-After`. */
  force429: boolean;
  /** Answer every webhook post with this 5xx status (true means 503); false: off. */
  force5xx: boolean | number;
}

/**
 * @example const emulator = await startEmulator({ port: 0, stateDir: '.custom-channel' })
 */
export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Host names accepted besides loopback (a tunnel in front of the emulator); see src/lib/local-guard.ts. */
  allowedHosts?: readonly string[];
  /** Channels to emulate; missing fields are generated (one channel when omitted). */
  channels?: Array<Partial<EmulatorChannel>>;
  /** Generated credentials are stored in `<stateDir>/emulator.json` (0600), stable across restarts. */
  stateDir?: string;
  /** Keep contacts and messages in this JSON file across restarts (default: memory only). */
  persistFile?: string;
  /** Developer API access token; generated (and stored with the credentials) when omitted. */
  devApiToken?: string;
  /** A request's headers and body must arrive within this (default 10,000 ms; then 408 and the connection closes). */
  requestTimeoutMs?: number;
  /** How long respond.io waits for `/message`. Emulator choice: 10000 ms. */
  messageTimeoutMs?: number;
  /** Webhook requests per second per channel (contract: 20); `false` turns the limit off. */
  rateLimitPerSecond?: number | false;
  /** Messages kept in memory (and in `persistFile`); the oldest beyond it are forgotten. Emulator choice: 100,000. */
  maxMessages?: number;
  /** Developer API requests per second per token. Emulator choice: 10. */
  devApiRateLimitPerSecond?: number;
  /** Grade C rules and undocumented territory become errors (400) instead of warnings. */
  strict?: boolean;
  /** Largest accepted request body in bytes (413 above). Emulator choice: 1 MiB. */
  bodyLimit?: number;
  /** Initial faults. */
  faults?: Partial<EmulatorFaults>;
  /** Messages per second a broadcast sends. Emulator choice: 20. */
  broadcastPerSecond?: number;
  /** Injected for tests. */
  fetch?: typeof fetch;
  /** Injected clock, epoch ms. */
  now?: () => number;
}

/** Where a message stands; `pending` until `/message` answers. */
export type MessageStatusValue = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

/** One transition in a message's status history. */
export interface StatusEntry {
  value: MessageStatusValue;
  /** When the emulator recorded it, epoch ms. */
  timestamp: number;
  /** The failure reason, or the status event's `status.message`. */
  message?: string;
  /** `emulator`: the outgoing flow decided it; `webhook`: a `message_status` event said so. */
  source: 'emulator' | 'webhook';
  /** The `message_status` event's own `timestamp`, when it came from one. */
  eventTimestamp?: number;
}

export type AnomalyKind =
  | 'unknown-mid'
  | 'duplicate-mid'
  | 'status-regression'
  | 'status-after-failed'
  | 'duplicate-status'
  | 'seconds-timestamp'
  | 'contact-mismatch';

/** Something respond.io's docs do not cover; reported, never silently accepted or rejected. */
export interface Anomaly {
  kind: AnomalyKind;
  /** What happened, one line. */
  message: string;
  /** Always says that respond.io's own behaviour here is undocumented. */
  note: string;
  /** JSON path in the webhook body, when it points at one. */
  path?: string;
  time: number;
  channelId: string;
  contactId?: string;
  mId?: string;
  messageId?: number;
}

export interface ContactRecord {
  /** Numeric contact ID (Developer API `contactId`, `id:<n>` identifier). */
  id: number;
  channelId: string;
  /** The channel's contact ID (phone or custom ID). */
  contactId: string;
  /** The `contact` fields of the first webhook post that created it (later posts merge in). */
  profile: Contact;
  createdAt: number;
  updatedAt: number;
}

interface MessageRecordBase {
  /** Numeric message ID (Developer API `messageId`). */
  messageId: number;
  channelId: string;
  contactId: string;
  contactNumericId: number;
  message: Message;
  /** The provider message ID: from the webhook event, or from `/message`'s answer. */
  mId: string | null;
  createdAt: number;
  /** Status history, oldest first (empty for messages from the contact). */
  statuses: StatusEntry[];
  /** Grade C findings stored with the record (errors when `strict`). */
  warnings: Problem[];
  anomalies: Anomaly[];
}

/** A message from the contact (`message` event). */
export interface InboundMessageRecord extends MessageRecordBase {
  traffic: 'incoming';
  origin: 'contact';
  /** The event's `timestamp`. */
  timestamp: number;
}

/**
 * A message from the business: started by the emulator (`user`, `dev-api`, `broadcast`) and
 * sent through `<apiBaseUrl>/message`, or reported by the integration server as `message_echo`.
 */
export interface OutgoingMessageRecord extends MessageRecordBase {
  traffic: 'outgoing';
  origin: 'user' | 'dev-api' | 'broadcast' | 'echo';
  /** The current status (last entry of `statuses`). */
  status: MessageStatusValue;
  /** Why it failed, when it did. */
  error?: string;
  /** For `echo`: the event's `timestamp`. */
  timestamp?: number;
  broadcastId?: number;
}

export type MessageRecord = InboundMessageRecord | OutgoingMessageRecord;

export interface MessageFilter {
  channelId?: string;
  contactId?: string;
  traffic?: 'incoming' | 'outgoing';
  /** Only messages with `messageId` below this (Developer API cursor). */
  before?: number;
  limit?: number;
}

interface EventBase {
  /** Strictly increasing within one emulator. */
  seq: number;
  /** Epoch ms. */
  time: number;
  channelId?: string;
  contactId?: string;
  messageId?: number;
  mId?: string;
}

/** Every event the emulator publishes. */
export type EmulatorEvent =
  | (EventBase & {
      type: 'webhook.accepted';
      /** Number of events in the post. */
      events: number;
      warnings: Problem[];
      exchange: Exchange;
    })
  | (EventBase & {
      type: 'webhook.rejected';
      status: number;
      message: string;
      problems: Problem[];
      exchange: Exchange;
    })
  | (EventBase & { type: 'contact.created'; contact: ContactRecord })
  | (EventBase & { type: 'message.inbound'; record: InboundMessageRecord })
  | (EventBase & { type: 'message.echo'; record: OutgoingMessageRecord })
  | (EventBase & { type: 'message.outgoing'; record: OutgoingMessageRecord })
  | (EventBase & {
      type: 'message.status';
      status: { value: MessageStatusValue; message?: string };
      previous?: MessageStatusValue;
      source: 'emulator' | 'webhook';
    })
  | (EventBase & { type: 'anomaly'; anomaly: Anomaly; message: string })
  | (EventBase & { type: 'outgoing.request'; exchange: Exchange })
  | (EventBase & { type: 'outgoing.response'; exchange: Exchange })
  | (EventBase & { type: 'faults.changed'; faults: EmulatorFaults })
  | (EventBase & { type: 'reset' });

export type EmulatorEventType = EmulatorEvent['type'];
/** An event before the emulator stamps `seq` and `time`. */
export type NewEmulatorEvent = EmulatorEvent extends infer E
  ? E extends EmulatorEvent
    ? Omit<E, 'seq' | 'time'>
    : never
  : never;

export type EmulatorListener = (event: EmulatorEvent) => void;

export interface SendMessageInput {
  /** Default: the first channel. */
  channelId?: string;
  contactId: string;
  message: Message;
}

export interface BroadcastInput {
  channelId?: string;
  contactIds: string[];
  message: Message;
}

/** What `startEmulator` returns. `close()` is idempotent. */
export interface EmulatorHandle {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** `<url>/custom/channel/webhook/` */
  readonly webhookUrl: string;
  /** `<url>/v2` */
  readonly devApiUrl: string;
  readonly devApiToken: string;
  readonly channels: EmulatorChannel[];
  /** The first channel. */
  readonly channel: EmulatorChannel;
  /** Sets where a channel's outgoing messages go; with one argument, the first channel's. */
  setApiBaseUrl(channelIdOrUrl: string, url?: string): void;
  /** The outgoing flow: resolves with the record once it is `sent` or `failed`. */
  sendMessage(input: SendMessageInput): Promise<OutgoingMessageRecord>;
  /** One message to many contacts, throttled; resolves when every one is sent or failed. */
  broadcast(input: BroadcastInput): Promise<OutgoingMessageRecord[]>;
  getMessage(messageId: number): MessageRecord | undefined;
  findByMId(channelId: string, mId: string): MessageRecord | undefined;
  listMessages(filter?: MessageFilter): MessageRecord[];
  listContacts(channelId?: string): ContactRecord[];
  /** Events kept in memory with `seq` greater than `since` (default all). */
  events(since?: number): EmulatorEvent[];
  subscribe(listener: EmulatorListener): () => void;
  /**
   * The first event matching `predicate`, looking at kept events after `since` first (when
   * given), then at new ones; rejects after `timeoutMs` (default 5000).
   */
  waitFor(predicate: (event: EmulatorEvent) => boolean, timeoutMs?: number, since?: number): Promise<EmulatorEvent>;
  getFaults(): EmulatorFaults;
  setFaults(faults: Partial<EmulatorFaults>): EmulatorFaults;
  /** Forgets contacts, messages and events (channels and credentials stay). */
  reset(): void;
  close(): Promise<void>;
}
