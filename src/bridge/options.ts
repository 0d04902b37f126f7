/** What a bridge is built from. */
import type { FastifyServerOptions } from 'fastify';
import type { IdType } from '../contract/ids.js';
import type { ExchangeFeed } from '../exchange.js';
import type { FileOutboxOptions } from '../outbox/file-outbox.js';
import type { Outbox } from '../outbox/types.js';
import type { FileSendQueueOptions } from '../send-queue/file-queue.js';
import type { SendQueue } from '../send-queue/types.js';
import type { Adapter } from './adapter.js';
import type { ReadinessOptions } from './health.js';
import type { BridgeLogEntry } from './logging.js';
import type { SendPolicy } from './message-route.js';

/** The send queue's settings (see `FileSendQueueOptions` for the defaults). */
export interface SendQueueSettings extends Omit<FileSendQueueOptions, 'dir' | 'readOnly' | 'now' | 'sendRate' | 'log'> {
  /** Replaces the store (the Redis queue with `redisUrl`, else the file queue in `<stateDir>/sends`). */
  queue?: SendQueue;
  /** How long one background try may take (default 10,000 ms). */
  attemptTimeoutMs?: number;
  /** Backoff of the tries inside `/message`'s budget (default 250 ms doubling to 2 s). */
  policy?: Partial<SendPolicy>;
}

/** An adapter, or a getter asked on every request (dev reloads the adapter after an edit). */
export type AdapterSource = Adapter | (() => Adapter | Promise<Adapter>);

export interface BridgeOptions {
  adapter: AdapterSource;
  /** The respond.io channel: its token is checked on `/message` and sent with every event. */
  channel: { channelId: string; token: string; idType: IdType };
  /** Where events go: respond.io's webhook URL, or the emulator's. */
  respondio: { webhookUrl: string };
  /** Provider settings and secrets handed to the adapter (default: `process.env`). */
  env?: Record<string, string | undefined>;
  /** Replaces the file outbox (e.g. a shared queue). The bridge starts and stops its delivery. */
  outbox?: Outbox;
  /** Use the shared Redis outbox and send queue at this URL instead of the files (several instances, one channel). */
  redisUrl?: string;
  /** Local state folder: every file the bridge writes is below it; the file outbox in `<stateDir>/outbox` (default `./.custom-channel`). */
  stateDir?: string;
  /**
   * Gives up starting (`ready()`/`listen()` reject and everything opened is closed) when
   * opening the outbox and send queue takes longer (ms). Default: no limit, since replaying a
   * large journal takes as long as it takes.
   */
  readyTimeoutMs?: number;
  /** Settings of the default file outbox (dir is derived from `stateDir`). */
  outboxOptions?: Omit<FileOutboxOptions, 'dir' | 'rateLimitPerSecond'>;
  /**
   * `/message`'s answer budget: tries and retries of the provider end within it (default
   * 5,000 ms, half the emulator's 10 s timeout; respond.io documents none). Then the send
   * queue takes the message, or (queue off) respond.io gets the last error.
   */
  sendTimeoutMs?: number;
  /**
   * The durable send queue (default on): a message the provider did not take within the
   * budget is answered with a bridge mId and retried in the background. `false`: off.
   */
  sendQueue?: false | SendQueueSettings;
  /** Webhook posts to respond.io per second (default 20: respond.io's Custom Channel limit). */
  rateLimitPerSecond?: number;
  /** A request's headers and body must arrive within this (default 10,000 ms; then 408 and the connection closes). */
  requestTimeoutMs?: number;
  /** How long one delivery to respond.io may take (default 10,000 ms). */
  deliveryTimeoutMs?: number;
  /** Used for respond.io deliveries and handed (recorded) to the adapter. Default: global fetch. */
  fetch?: typeof fetch;
  now?: () => number;
  /**
   * Fastify's pino logger options, or false (default) for none. Either way no line carries a
   * query-string value, the channel token or a secret-looking `env` value (see logging.ts).
   */
  logger?: FastifyServerOptions['logger'];
  /** Without `logger`: receives each log line (adapter `ctx.log`, delivery warnings) for a console. */
  onLog?: (entry: BridgeLogEntry) => void;
  /** More values no log line may carry (the token and secret-looking `env` values are known). */
  logSecrets?: readonly string[];
  /** Serve Prometheus metrics on `GET /metrics` (default true). */
  metrics?: boolean;
  /** When `GET /ready` answers 503 (failing deliveries, outbox high-water mark). */
  readiness?: ReadinessOptions;
  /** Receives one record per HTTP exchange of either leg (dev's console, the inspector). */
  exchanges?: ExchangeFeed;
}

export interface StartBridgeOptions extends BridgeOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
}
