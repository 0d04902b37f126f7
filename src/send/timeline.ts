/**
 * The timeline of one message across both legs: respond.io -> bridge -> provider -> status
 * callbacks -> respond.io, built from the bridge's exchange records, plus respond.io's own
 * status history.
 */
import type { Exchange } from '../exchange.js';
import type { StatusAnalysis, StatusObservation } from './statuses.js';

/** `you`: the Developer API client (`send --live`). */
export type Party = 'respond.io' | 'bridge' | 'provider' | 'contact' | 'you' | 'send queue';

export interface Hop {
  /** Milliseconds since the flow started. */
  at: number;
  from: Party;
  to: Party;
  /** What travelled, e.g. `POST /message`, `status delivered`, `message_status read`. */
  label: string;
  /** HTTP status of the hop (0: no answer). */
  status: number;
  latencyMs: number;
  ok: boolean;
  detail?: string;
}

export interface Timeline {
  /** Epoch ms of the first request. */
  startedAt: number;
  /** The provider's message ID that links everything, once known. */
  mId?: string;
  hops: Hop[];
  /** respond.io's status history of the message. */
  statuses: StatusObservation[];
  analysis: StatusAnalysis;
  /** What respond.io (the emulator) flagged for this message, e.g. `duplicate-status` (offline only). */
  anomalies?: Array<{ kind: string; message: string }>;
  /** From the first request to the last status. */
  totalMs: number;
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/** Does this exchange belong to the message with this mId (or inbound provider message ID)? */
export function exchangeMentions(exchange: Exchange, id: string): boolean {
  if (exchange.mId === id) return true;
  const needle = JSON.stringify(id);
  for (const body of [exchange.requestBody, exchange.responseBody]) {
    if (body === undefined) continue;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    if (text.includes(needle) || text === id) return true;
  }
  return false;
}

/** A short label for what a webhook body to respond.io carried. */
function describeEvents(body: unknown): string {
  const events = record(body).events;
  if (!Array.isArray(events)) return 'webhook';
  return events
    .map((e) => {
      const event = record(e);
      if (event.type === 'message_status') return `message_status ${record(event.status).value}`;
      return `${event.type} ${record(event.message).type ?? ''}`.trim();
    })
    .join(', ');
}

/** A short label for what a provider callback carried (generic HTTP protocol; others by path). */
function describeProviderCall(exchange: Exchange): string {
  const body = record(exchange.requestBody);
  if (body.kind === 'status') return `status ${body.status}`;
  if (body.kind === 'message') return `inbound ${body.type ?? 'message'}`;
  if (body.kind === 'echo') return `echo ${body.type ?? ''}`.trim();
  return `${exchange.method} ${exchange.url}`;
}

/** Turns one exchange record into a hop; `t0` is the flow's start (epoch ms). */
export function buildHop(exchange: Exchange, t0: number): Hop {
  const ok = exchange.status >= 200 && exchange.status < 300;
  const base = { at: exchange.time - t0, status: exchange.status, latencyMs: exchange.latencyMs, ok };
  const error = exchange.error ?? (record(record(exchange.responseBody).error).message as string | undefined);
  if (exchange.leg === 'queue') {
    // The bridge's send queue: QUEUED, ATTEMPT (a failed try), SENT (with the provider's id), FAILED.
    const body = record(exchange.requestBody);
    const step = String(body.step ?? exchange.method.toLowerCase());
    const detail =
      step === 'sent'
        ? `provider id ${body.providerMId} -> mId ${exchange.mId} (try ${body.attempts})`
        : step === 'queued'
          ? `mId ${exchange.mId} answered; ${body.attempts} tries so far${body.lastError ? `: ${body.lastError}` : ''}`
          : `try ${body.attempts}${error ? `: ${error}` : ''}${typeof body.nextAt === 'number' ? `; next in ${Math.max(0, body.nextAt - exchange.time)} ms` : ''}`;
    return { ...base, ok: step === 'queued' || step === 'sent', from: 'bridge', to: 'send queue', label: step, detail };
  }
  if (exchange.leg === 'respondio' && exchange.direction === 'in') {
    const mId = record(exchange.responseBody).mId;
    return {
      ...base,
      from: 'respond.io',
      to: 'bridge',
      label: `${exchange.method} ${exchange.url}${exchange.messageType ? ` (${exchange.messageType})` : ''}`,
      detail: ok ? `mId ${mId}` : error,
    };
  }
  if (exchange.leg === 'respondio') {
    return { ...base, from: 'bridge', to: 'respond.io', label: describeEvents(exchange.requestBody), detail: error };
  }
  if (exchange.direction === 'out') {
    const id = record(exchange.responseBody).id ?? record(exchange.responseBody).message_id;
    const type = record(exchange.requestBody).type ?? exchange.messageType;
    return {
      ...base,
      from: 'bridge',
      to: 'provider',
      label: `send${type ? ` ${type}` : ''}`,
      detail: ok ? (id === undefined ? undefined : `provider id ${id}`) : error,
    };
  }
  return { ...base, from: 'provider', to: 'bridge', label: describeProviderCall(exchange), detail: error };
}

/**
 * Hops of the exchanges that mention `id`, in time order.
 * @example buildHops(feedRecords, 'prov-1', startedAt)
 */
export function buildHops(exchanges: readonly Exchange[], id: string | undefined, t0: number): Hop[] {
  return exchanges
    .filter((e) => id === undefined || exchangeMentions(e, id))
    .sort((a, b) => a.time - b.time || a.id - b.id)
    .map((e) => buildHop(e, t0));
}
