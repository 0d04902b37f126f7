/**
 * What an operator sees of a bridge, wired in one call from `buildBridge`: `/health`, `/ready`,
 * `/metrics` (unless turned off), `recordMessage` for the `/message` route and the error
 * handler to count its answers (a route hook cost 5% of `/message`'s throughput), and the
 * delivery watch that logs and counts attempts to respond.io.
 */
import type { FastifyInstance } from 'fastify';
import type { OutboxStats } from '../outbox/types.js';
import type { Adapter } from './adapter.js';
import { createDeliveryWatch, type DeliveryWatch } from './delivery-watch.js';
import { type ReadinessOptions, registerHealthRoutes } from './health.js';
import { type BridgeMetrics, createBridgeMetrics, METRICS_CONTENT_TYPE } from './metrics.js';

export interface ObservabilityDeps {
  getAdapter: () => Promise<Adapter>;
  /** The adapter's name as last seen (a label of `/message` metrics). */
  adapterName: () => string;
  stats: () => OutboxStats | undefined;
  /** Whether the outbox can record events now (a shared store such as Redis may be unreachable). */
  store?: () => { ok: boolean; reason?: string } | undefined;
  now: () => number;
  /** Serve `/metrics` (default true). */
  metrics?: boolean;
  readiness?: ReadinessOptions;
  /** The file outbox's give-up age (undefined for an outbox passed in). */
  giveUpAfterMs?: number;
}

export interface Observability {
  readonly watch: DeliveryWatch;
  /** Undefined with `metrics: false`. */
  readonly metrics?: BridgeMetrics;
  /** Counts one `/message` answer (undefined with `metrics: false`). */
  readonly recordMessage?: (statusCode: number, ms: number) => void;
}

/** Registers the routes and hooks; call before the app is ready. */
export function installObservability(app: FastifyInstance, deps: ObservabilityDeps): Observability {
  const metrics = deps.metrics === false ? undefined : createBridgeMetrics({ outboxStats: deps.stats });
  const watch = createDeliveryWatch({ log: app.log, metrics, now: deps.now, giveUpAfterMs: deps.giveUpAfterMs });
  registerHealthRoutes(app, {
    getAdapter: deps.getAdapter,
    stats: deps.stats,
    store: deps.store,
    delivery: () => watch.health(),
    now: deps.now,
    options: deps.readiness,
  });
  if (metrics) {
    app.get('/metrics', async (_request, reply) => {
      reply.header('content-type', METRICS_CONTENT_TYPE);
      return metrics.render();
    });
  }
  app.addHook('onClose', async () => watch.close());
  const recordMessage = metrics
    ? (statusCode: number, ms: number) => metrics.recordMessage(deps.adapterName(), statusCode, ms)
    : undefined;
  return { watch, metrics, recordMessage };
}
