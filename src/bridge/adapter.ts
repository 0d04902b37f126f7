/**
 * The provider-adapter contract: the only code a user writes. An adapter declares what its
 * provider can do, sends respond.io's outgoing messages to the provider, and turns the
 * provider's webhook requests into respond.io events. Everything else (auth, validation,
 * timeouts, the durable outbox, rate limits, retries) is the bridge's job.
 */
import type { IdType } from '../contract/ids.js';
import type { AttachmentType, Message, MessageType } from '../contract/messages.js';
import type { Contact, StatusValue, WebhookEvent } from '../contract/webhook.js';

export interface AdapterCapabilities {
  /** Outbound message types the provider can deliver; others get a 400 from `/message`. */
  messageTypes: readonly MessageType[];
  /** Attachment sub-types the provider can deliver (when `attachment` is supported). */
  attachmentTypes?: readonly AttachmentType[];
  /** Statuses the provider reports back (e.g. Telegram: only `sent`). */
  statuses: readonly StatusValue[];
  /**
   * Sends per second the provider takes (e.g. Telegram: 30): the bridge's send queue never
   * goes faster when it retries a backlog. Default: no limit.
   */
  sendRate?: number;
}

/** The subset of a pino logger an adapter may use. */
export interface AdapterLogger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
}

/** What the bridge hands every adapter call; inject fakes in tests. */
export interface AdapterContext {
  channel: { channelId: string; idType: IdType };
  /** Provider settings and secrets (from the environment / `.env`), e.g. `PROVIDER_API_KEY`. */
  env: Readonly<Record<string, string | undefined>>;
  log: AdapterLogger;
  fetch: typeof fetch;
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Aborted when the bridge gives up on the call (send timeout, shutdown; for a stream: the client left).
   * In `send` it is made when first read (a getter), so a spread copy of `ctx` has none: pass `ctx` on.
   */
  signal: AbortSignal;
  /** A folder the adapter may keep its own files in (`<stateDir>/adapter`); created on first use by the adapter. */
  stateDir?: string;
}

/** One outgoing message, as respond.io sent it to `/message` (already validated). */
export interface SendInput {
  channelId: string;
  contactId: string;
  message: Message;
  /**
   * Stable for this message across every retry and restart of the bridge: pass it to the
   * provider's idempotency header or field so a retried send is not delivered twice.
   */
  idempotencyKey?: string;
}

export interface SendResult {
  /** The provider's message ID: a string of at most 50 characters. */
  mId: string;
}

/** A provider's webhook request, with the raw body kept byte for byte for signature checks. */
export interface ProviderRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  headers: Readonly<Record<string, string | undefined>>;
  query: Readonly<Record<string, string | undefined>>;
  rawBody: Buffer;
  /** JSON -> parsed value; form-urlencoded -> flat object; anything else -> the text. */
  body: unknown;
}

/** What the provider gets back. Defaults: 200 with `{ "ok": true }`. */
export interface ProviderReply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** One respond.io event for one contact, ready for the outbox. */
export interface BridgeEvent {
  contactId: string;
  /** Used by respond.io when it creates the contact. */
  contact?: Contact;
  event: WebhookEvent;
}

export interface WebhookResult {
  events: BridgeEvent[];
  reply?: ProviderReply;
}

/** A Server-Sent Events stream to one client, opened by a handler's `stream`. */
export interface EventStream {
  /** Sends one event (`data` as JSON); false when the client is gone. */
  send(message: { event?: string; id?: string; data: unknown }): boolean;
  /** Ends the stream (idempotent). */
  close(): void;
  /** Aborted when the client leaves, `close()` is called or the bridge shuts down. */
  readonly signal: AbortSignal;
}

/** A handler's consent to stream: extra response headers (e.g. CORS) and what to do once open. */
export interface StreamStart {
  headers?: Record<string, string>;
  open(stream: EventStream): void | Promise<void>;
}

export interface WebhookHandler {
  /** Route path on the bridge, e.g. `/webhooks/provider`. */
  path: string;
  /**
   * The setting (in `ctx.env`) holding this route's webhook secret. While it is empty the bridge
   * refuses the route's requests with 401 before `verify` runs (fail closed) and warns at start.
   */
  secretEnv?: string;
  /** Signature or secret check; `false` -> 401 and nothing is queued. */
  verify?(request: ProviderRequest, ctx: AdapterContext): boolean | Promise<boolean>;
  /** Answers a GET verification challenge; `undefined` -> 404. */
  handshake?(
    request: ProviderRequest,
    ctx: AdapterContext,
  ): ProviderReply | undefined | Promise<ProviderReply | undefined>;
  /** Turns the request into respond.io events and the provider's answer. */
  handle(request: ProviderRequest, ctx: AdapterContext): WebhookResult | Promise<WebhookResult>;
  /**
   * Makes this path a Server-Sent Events endpoint: GET and POST requests are verified, then
   * answered with a stream instead of `handshake`/`handle` (which may just answer 405). Return a
   * `StreamStart` to open it, or a `ProviderReply` to refuse (e.g. 403 for a foreign origin).
   * @example stream: (req) => ({ open(s) { s.send({ event: 'hello', data: { at: Date.now() } }) } })
   */
  stream?(
    request: ProviderRequest,
    ctx: AdapterContext,
  ): StreamStart | ProviderReply | Promise<StreamStart | ProviderReply>;
}

export interface Adapter {
  name: string;
  capabilities: AdapterCapabilities;
  send(input: SendInput, ctx: AdapterContext): Promise<SendResult>;
  webhooks: readonly WebhookHandler[];
}

/**
 * Thrown by `send` when the provider refuses a message: the bridge answers respond.io with
 * `status` (a 4xx, default 400) and `{ "error": { "message" } }`.
 * @example throw new AdapterError('ClickSend: invalid recipient', 422)
 */
export class AdapterError extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.name = 'AdapterError';
    this.status = status >= 400 && status < 500 ? status : 400;
  }
}

/**
 * Thrown by `send` when the provider may take the message later (it is down, overloaded, rate
 * limiting): the bridge retries with backoff, after `retryAfterMs` when given, first within
 * `/message`'s answer budget and then from its durable send queue.
 * @example throw new RetryableError('Telegram: 429 Too Many Requests', { retryAfterMs: body.parameters.retry_after * 1000 })
 */
export class RetryableError extends Error {
  readonly retryAfterMs?: number;
  /** The provider's HTTP status, when it answered (0 or absent: no answer). */
  readonly status?: number;
  constructor(message: string, options: { retryAfterMs?: number; status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RetryableError';
    if (options.retryAfterMs !== undefined && Number.isFinite(options.retryAfterMs)) {
      this.retryAfterMs = Math.max(0, options.retryAfterMs);
    }
    if (options.status !== undefined) this.status = options.status;
  }
}

/**
 * Declares an adapter, checking its shape at load time so mistakes surface before traffic.
 * @example export default defineAdapter({ name: 'acme', capabilities: {...}, send, webhooks: [...] })
 */
export function defineAdapter<T extends Adapter>(adapter: T): T {
  const problems: string[] = [];
  if (typeof adapter?.name !== 'string' || adapter.name === '') problems.push('name: must be a non-empty string');
  if (!Array.isArray(adapter?.capabilities?.messageTypes)) problems.push('capabilities.messageTypes: must be an array');
  if (!Array.isArray(adapter?.capabilities?.statuses)) problems.push('capabilities.statuses: must be an array');
  if (typeof adapter?.send !== 'function') problems.push('send: must be a function');
  const rate = adapter?.capabilities?.sendRate;
  if (rate !== undefined && !(typeof rate === 'number' && rate > 0 && Number.isFinite(rate)))
    problems.push('capabilities.sendRate: must be a positive number of sends per second');
  if (!Array.isArray(adapter?.webhooks)) problems.push('webhooks: must be an array (may be empty)');
  for (const [i, hook] of (Array.isArray(adapter?.webhooks) ? adapter.webhooks : []).entries()) {
    if (typeof hook?.path !== 'string' || !hook.path.startsWith('/'))
      problems.push(`webhooks[${i}].path: must start with "/"`);
    if (typeof hook?.handle !== 'function') problems.push(`webhooks[${i}].handle: must be a function`);
    if (hook?.stream !== undefined && typeof hook.stream !== 'function')
      problems.push(`webhooks[${i}].stream: must be a function when given`);
  }
  if (problems.length > 0) throw new TypeError(`invalid adapter: ${problems.join('; ')}`);
  return adapter;
}
