/**
 * `/health` and `/ready`, for load balancers, orchestrators and `HEALTHCHECK`.
 * - `GET /health`: the process is alive and answering: always 200 while it runs.
 * - `GET /ready`: the bridge can do its job: 200, or 503 naming each reason: deliveries to
 *   respond.io have failed for longer than `failingAfterMs`, the outbox holds more than
 *   `highWaterMark` pending events, the adapter failed to load, or the outbox is not open.
 * Both answer JSON.
 */
import type { FastifyInstance } from 'fastify';
import type { OutboxStats } from '../outbox/types.js';
import type { Adapter } from './adapter.js';
import type { DeliveryHealth } from './delivery-watch.js';

export interface ReadinessOptions {
  /** Failing deliveries for this long make the bridge unready (default 60,000 ms). */
  failingAfterMs?: number;
  /** More pending events than this make the bridge unready (default 10,000). */
  highWaterMark?: number;
}

export interface ReadinessInput {
  adapter: { name: string } | { error: string };
  stats?: OutboxStats;
  /** The outbox's own verdict (Redis reachable?), when it gives one. */
  store?: { ok: boolean; reason?: string };
  delivery: DeliveryHealth;
  now: number;
}

export interface Readiness {
  ready: boolean;
  /** One sentence per failed check (empty when ready). */
  reasons: string[];
}

/**
 * The readiness verdict from the bridge's state (pure).
 * @example readiness({ adapter: { name: 'x' }, stats, delivery: { failedAttempts: 0 }, now: Date.now() }) // { ready: true, reasons: [] }
 */
export function readiness(input: ReadinessInput, options: ReadinessOptions = {}): Readiness {
  const failingAfterMs = options.failingAfterMs ?? 60_000;
  const highWaterMark = options.highWaterMark ?? 10_000;
  const reasons: string[] = [];
  if ('error' in input.adapter) reasons.push(`adapter failed to load: ${input.adapter.error}`);
  if (input.store && !input.store.ok)
    reasons.push(`outbox cannot record events: ${input.store.reason ?? 'unavailable'}`);
  if (!input.stats) reasons.push('outbox not open yet');
  else if (input.stats.pending > highWaterMark)
    reasons.push(`outbox over its high-water mark: ${input.stats.pending} pending events (limit ${highWaterMark})`);
  const since = input.delivery.failingSince;
  if (since !== undefined && input.now - since >= failingAfterMs) {
    const seconds = Math.round((input.now - since) / 1000);
    reasons.push(
      `deliveries to respond.io failing for ${seconds} s (${input.delivery.failedAttempts} attempts): ${input.delivery.lastError ?? 'unknown error'}`,
    );
  }
  return { ready: reasons.length === 0, reasons };
}

export interface HealthDeps {
  getAdapter: () => Promise<Adapter>;
  stats: () => OutboxStats | undefined;
  store?: () => { ok: boolean; reason?: string } | undefined;
  delivery: () => DeliveryHealth;
  now: () => number;
  options?: ReadinessOptions;
}

const startedAt = Date.now();

async function adapterState(getAdapter: () => Promise<Adapter>): Promise<{ name: string } | { error: string }> {
  try {
    return { name: (await getAdapter()).name };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Registers `GET /health` and `GET /ready`. */
export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  app.get('/health', async () => {
    const stats = deps.stats();
    return {
      status: 'ok',
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      adapter: await adapterState(deps.getAdapter),
      outbox: stats ?? null,
      lastDeliveryError: stats?.lastError ?? null,
    };
  });
  app.get('/ready', async (_request, reply) => {
    const adapter = await adapterState(deps.getAdapter);
    const stats = deps.stats();
    const delivery = deps.delivery();
    const verdict = readiness({ adapter, stats, store: deps.store?.(), delivery, now: deps.now() }, deps.options);
    return reply.code(verdict.ready ? 200 : 503).send({
      status: verdict.ready ? 'ready' : 'unavailable',
      reasons: verdict.reasons,
      adapter,
      outbox: stats ? { pending: stats.pending, inFlight: stats.inFlight, deadLetters: stats.deadLetters } : null,
      delivery: {
        failingSince: delivery.failingSince === undefined ? null : new Date(delivery.failingSince).toISOString(),
        failedAttempts: delivery.failedAttempts,
        lastError: delivery.lastError ?? null,
        lastDeliveredAt:
          delivery.lastDeliveredAt === undefined ? null : new Date(delivery.lastDeliveredAt).toISOString(),
      },
    });
  });
}
