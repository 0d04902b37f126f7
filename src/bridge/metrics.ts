/**
 * The bridge's Prometheus metrics (prom-client), one registry per bridge so several bridges in
 * one process (tests, embedders) do not mix their counts; process metrics (CPU, memory, event
 * loop, handles) come from one shared registry. Labels hold only fixed vocabularies (outcome,
 * status code, state) and the adapter's name: never a URL, a contact or a secret.
 *
 * Anyone may count provider send retries:
 * @example metrics.providerSendRetries.inc({ adapter: adapter.name })
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { OutboxStats } from '../outbox/types.js';
import { MessageTally } from './message-tally.js';

export type { MessageOutcome } from './message-tally.js';

export const METRICS_PREFIX = 'custom_channel_';
/** What `/metrics` answers with (Prometheus text format 0.0.4). */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

export type DeliveryOutcome = 'delivered' | 'retried' | 'rejected';

export interface BridgeMetrics {
  readonly registry: Registry;
  /** Webhook posts to respond.io, by outcome and HTTP status (`0`: no answer). */
  readonly webhookPosts: Counter<'outcome' | 'status_code'>;
  /** Events respond.io accepted. */
  readonly eventsDelivered: Counter;
  /** Events given up (dead letters) by this process. */
  readonly deadLetters: Counter;
  /** Time of one webhook post, request to answer. */
  readonly deliveryDuration: Histogram<'status_code'>;
  /** respond.io's 429 answers: the whole channel waits. */
  readonly rateLimitWaits: Counter;
  /** Seconds of `Retry-After` respond.io asked for, summed. */
  readonly rateLimitWaitSeconds: Counter;
  /** `/message` calls by adapter and outcome. */
  readonly messageRequests: Counter<'adapter' | 'outcome'>;
  readonly messageDuration: Histogram<'adapter' | 'outcome'>;
  /** Retries of the adapter's `send` (the sending leg). */
  readonly providerSendRetries: Counter<'adapter'>;
  /** Counts one `/message` answer (status code, ms) in both `/message` metrics, cheaply: they are filled when scraped. */
  recordMessage(adapter: string, statusCode: number, ms: number): void;
  /** Renders the exposition: this bridge's metrics, then the process's. */
  render(): Promise<string>;
}

let processRegistry: Registry | undefined;

/** Process metrics, collected once per process whatever the number of bridges. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: METRICS_PREFIX });
  }
  return processRegistry;
}

export interface MetricsOptions {
  /** Read on every scrape for the outbox depth (undefined before the outbox opens). */
  outboxStats: () => OutboxStats | undefined;
  /** Include process metrics (default true). */
  process?: boolean;
}

/** The bridge's metrics, registered in a registry of their own. */
export function createBridgeMetrics(options: MetricsOptions): BridgeMetrics {
  const registry = new Registry();
  const p = METRICS_PREFIX;
  const registers = [registry];
  new Gauge({
    name: `${p}outbox_events`,
    help: 'Events in the outbox by state (pending includes in_flight)',
    labelNames: ['state'],
    registers,
    collect() {
      const stats = options.outboxStats();
      this.set({ state: 'pending' }, stats?.pending ?? 0);
      this.set({ state: 'in_flight' }, stats?.inFlight ?? 0);
      this.set({ state: 'dead' }, stats?.deadLetters ?? 0);
    },
  });
  const secondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const tally = new MessageTally(secondsBuckets);
  const metrics = {
    registry,
    webhookPosts: new Counter({
      name: `${p}webhook_posts_total`,
      help: 'Webhook posts to respond.io by outcome (delivered, retried, rejected) and HTTP status (0: no answer)',
      labelNames: ['outcome', 'status_code'] as const,
      registers,
    }),
    eventsDelivered: new Counter({
      name: `${p}events_delivered_total`,
      help: 'Events respond.io accepted',
      registers,
    }),
    deadLetters: new Counter({
      name: `${p}dead_letters_total`,
      help: 'Events given up as dead letters by this process',
      registers,
    }),
    deliveryDuration: new Histogram({
      name: `${p}delivery_duration_seconds`,
      help: 'Time of one webhook post to respond.io, request to answer',
      labelNames: ['status_code'] as const,
      buckets: secondsBuckets,
      registers,
    }),
    rateLimitWaits: new Counter({
      name: `${p}rate_limit_waits_total`,
      help: "respond.io's 429 answers (the channel pauses for Retry-After)",
      registers,
    }),
    rateLimitWaitSeconds: new Counter({
      name: `${p}rate_limit_wait_seconds_total`,
      help: 'Seconds of Retry-After respond.io asked for, summed',
      registers,
    }),
    messageRequests: new Counter({
      name: `${p}message_requests_total`,
      help: 'POST /message calls by adapter and outcome (sent, refused: 4xx, failed: 5xx)',
      labelNames: ['adapter', 'outcome'] as const,
      registers,
      collect() {
        tally.flushRequests(this);
      },
    }),
    messageDuration: new Histogram({
      name: `${p}message_duration_seconds`,
      help: 'Time to answer POST /message, by adapter and outcome',
      labelNames: ['adapter', 'outcome'] as const,
      buckets: secondsBuckets,
      registers,
      collect() {
        tally.flushDurations(this);
      },
    }),
    providerSendRetries: new Counter({
      name: `${p}provider_send_retries_total`,
      help: "Retries of the adapter's send to the provider",
      labelNames: ['adapter'] as const,
      registers,
    }),
  };
  const withProcess = options.process !== false;
  return {
    ...metrics,
    recordMessage: (adapter, statusCode, ms) => tally.record(adapter, statusCode, ms),
    async render() {
      const own = await registry.metrics();
      return withProcess ? own + (await processMetrics().metrics()) : own;
    },
  };
}
