/**
 * Following one message through the local stack: respond.io (the emulator) sends it, the
 * bridge hands it to the provider, the provider's callbacks come back as `message_status`
 * events; or the contact writes and the message is followed into respond.io.
 */
import type { StatusValue } from '../contract/constants.js';
import type { Message } from '../contract/messages.js';
import type { WebhookEvent } from '../contract/webhook.js';
import type { EmulatorEvent } from '../emulator/types.js';
import { CliError, messageOf } from '../errors.js';
import type { Exchange } from '../exchange.js';
import type { LocalStack } from './stack.js';
import { analyzeStatuses, type StatusAnalysis, type StatusObservation } from './statuses.js';
import { buildHop, exchangeMentions, type Hop, type Timeline } from './timeline.js';

export interface FollowOutboundInput {
  to: string;
  message: Message;
  expect: StatusValue[];
  timeoutMs: number;
  /** After the expected statuses arrived, wait at most this long for late duplicates (default 1000 ms). */
  settleMs?: number;
  onHop?(hop: Hop): void;
  /** A status of this message reached respond.io (for a live "waiting for ..." line). */
  onStatus?(value: StatusValue): void;
}

export interface FollowInboundInput {
  from: string;
  text: string;
  timeoutMs: number;
  onHop?(hop: Hop): void;
}

/** The webhook body an emulator event carried, parsed. */
export function webhookBodyOf(event: EmulatorEvent): { contactId?: string; events?: WebhookEvent[] } | undefined {
  if (event.type !== 'webhook.accepted' && event.type !== 'webhook.rejected') return undefined;
  const body = event.exchange.requestBody;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  return body as { contactId?: string; events?: WebhookEvent[] };
}

/** Streams the hops of exchanges that mention `id` (once known), in arrival order. */
function hopStream(stack: LocalStack, t0: number, onHop?: (hop: Hop) => void) {
  const start = stack.exchanges.length;
  const emitted = new Set<number>();
  let id: string | undefined;
  const flush = () => {
    if (id === undefined) return;
    // A /message exchange is recorded when it ends, after the provider call made inside it.
    const fresh = stack.exchanges.slice(start).sort((a, b) => a.time - b.time || a.id - b.id);
    // Provider calls made while our /message was being answered belong to it, even when the
    // provider's own ID differs from the mId (Telegram: `chat:message_id`).
    const calls = fresh.filter(
      (e) => e.leg === 'respondio' && e.direction === 'in' && exchangeMentions(e, id as string),
    );
    // With traces (this bridge's records) a provider call belongs to the request that made it;
    // without, to a request of the same contact it happened during.
    const within = (e: Exchange) =>
      e.leg === 'provider' &&
      e.direction === 'out' &&
      calls.some((c) =>
        c.trace && e.trace
          ? c.trace === e.trace
          : e.contactId === c.contactId && e.time >= c.time && e.time <= c.time + c.latencyMs + 1,
      );
    for (const exchange of fresh) {
      if (emitted.has(exchange.id) || !(exchangeMentions(exchange, id) || within(exchange))) continue;
      emitted.add(exchange.id);
      onHop?.(buildHop(exchange, t0));
    }
  };
  const unsubscribe = stack.feed.subscribe(() => queueMicrotask(flush));
  return {
    follow(value: string) {
      id = value;
      flush();
    },
    stop(): Hop[] {
      flush();
      unsubscribe();
      return stack.exchanges
        .slice(start)
        .filter((e: Exchange) => emitted.has(e.id))
        .map((e) => buildHop(e, t0));
    },
  };
}

/** Resolves when `ready()` holds (checked on every emulator event) or after `ms`. */
function waitUntil(stack: LocalStack, ready: () => boolean, ms: number): Promise<void> {
  if (ready() || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const unsubscribe = stack.emulator.subscribe(() => {
      if (ready()) done();
    });
  });
}

/**
 * respond.io sends `message` to `to`; resolves with the timeline once the expected statuses
 * arrived (plus a short settle for duplicates), a failure ended the flow, or `timeoutMs` passed.
 */
export async function followOutbound(stack: LocalStack, input: FollowOutboundInput): Promise<Timeline> {
  const startedAt = Date.now();
  const deadline = performance.now() + input.timeoutMs;
  const hops = hopStream(stack, startedAt, input.onHop);
  // Receipts may reach respond.io before sendMessage resolves: collect them all, filter by mId later.
  const receipts: Array<{ mId: string; status: StatusObservation }> = [];
  // Set once the mId is known: earlier receipts are replayed then.
  let statusOf: ((receipt: { mId: string; status: StatusObservation }) => unknown) | undefined;
  const anomalies: Array<{ mId?: string; kind: string; message: string }> = [];
  const unsubscribe = stack.emulator.subscribe((event: EmulatorEvent) => {
    if (event.type === 'anomaly') {
      anomalies.push({ mId: event.anomaly.mId, kind: event.anomaly.kind, message: event.anomaly.message });
      return;
    }
    if (event.type !== 'webhook.accepted') return;
    for (const e of webhookBodyOf(event)?.events ?? []) {
      if (e?.type !== 'message_status') continue;
      const value = e.status.value as StatusValue;
      const receipt = {
        mId: e.mId,
        status: { value, at: event.time, message: e.status.message, source: 'callback' as const },
      };
      receipts.push(receipt);
      statusOf?.(receipt);
    }
  });
  try {
    let record: Awaited<ReturnType<LocalStack['emulator']['sendMessage']>>;
    try {
      record = await stack.emulator.sendMessage({ contactId: input.to, message: input.message });
    } catch (error) {
      // respond.io refuses before anything is sent (e.g. a contactId that does not fit the ID type).
      throw new CliError(`respond.io (the emulator) refused to send: ${messageOf(error)}`, {
        hint: `check --to against the channel's ID type (${stack.channel.idType})`,
      });
    }
    const mId = record.mId ?? undefined;
    if (mId) hops.follow(mId);
    const first = record.statuses.find((s) => s.source === 'emulator' && s.value !== 'pending');
    if (first) input.onStatus?.(first.value as StatusValue);
    for (const receipt of receipts) if (receipt.mId === mId) input.onStatus?.(receipt.status.value);
    statusOf = (receipt) => receipt.mId === mId && input.onStatus?.(receipt.status.value);
    const statuses = (): StatusObservation[] => [
      ...(first
        ? [
            {
              value: first.value as StatusValue,
              at: first.timestamp,
              message: first.message,
              source: 'response' as const,
            },
          ]
        : []),
      ...receipts.filter((r) => r.mId === mId).map((r) => r.status),
    ];
    const finished = () => {
      const history = statuses();
      return analyzeStatuses(history, input.expect).ok || history.some((s) => s.value === 'failed');
    };
    if (mId) {
      await waitUntil(stack, finished, deadline - performance.now());
      if (finished()) {
        // Late duplicates or regressions: wait until the provider and the outbox have nothing left.
        const limit = Math.min(input.settleMs ?? 1000, deadline - performance.now());
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([stack.settle(), new Promise((resolve) => (timer = setTimeout(resolve, limit)))]);
        clearTimeout(timer);
      }
    }
    const history = statuses();
    const last = history.at(-1)?.at ?? Date.now();
    const allHops = hops.stop();
    return {
      startedAt,
      mId,
      hops: allHops,
      statuses: history,
      analysis: withProviderLeg(analyzeStatuses(history, input.expect), allHops),
      anomalies: anomalies.filter((a) => a.mId === mId).map(({ kind, message }) => ({ kind, message })),
      totalMs: last - startedAt,
    };
  } finally {
    unsubscribe();
    hops.stop();
  }
}

/**
 * Adds what only the provider leg shows: statuses the provider reported more than once (the
 * bridge may forward a duplicate once, so respond.io alone would not tell).
 */
function withProviderLeg(analysis: StatusAnalysis, hops: readonly Hop[]): StatusAnalysis {
  const counts = new Map<string, number>();
  for (const hop of hops) {
    if (hop.from !== 'provider' || !hop.label.startsWith('status ')) continue;
    const value = hop.label.slice('status '.length);
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  const duplicates = new Set(analysis.duplicates);
  for (const [value, count] of counts) if (count > 1) duplicates.add(value as StatusValue);
  return { ...analysis, duplicates: [...duplicates] };
}

/** The contact writes `text` through the provider; resolves once respond.io stored it, or at the timeout. */
export async function followInbound(stack: LocalStack, input: FollowInboundInput): Promise<Timeline> {
  const provider = stack.provider;
  if (!provider) {
    throw new CliError(`no offline stand-in for the ${stack.project.template ?? 'project'} provider to send from`, {
      hint: 'inbound needs the mock provider (generic-http) or fixtures/provider-stub.json',
    });
  }
  const startedAt = Date.now();
  const hops = hopStream(stack, startedAt, input.onHop);
  let arrivedAt: number | undefined;
  let mId: string | undefined;
  const unsubscribe = stack.emulator.subscribe((event: EmulatorEvent) => {
    if (event.type !== 'message.inbound' || arrivedAt !== undefined) return;
    const { record } = event;
    if (record.contactId !== input.from) return;
    if (record.message.type === 'text' && record.message.text !== input.text) return;
    arrivedAt = event.time;
    mId = record.mId ?? undefined;
    if (mId) hops.follow(mId);
  });
  try {
    const { messageId } = await provider.injectInbound({
      from: input.from,
      text: input.text,
    });
    hops.follow(mId ?? messageId);
    await waitUntil(stack, () => arrivedAt !== undefined, input.timeoutMs);
    if (mId) hops.follow(mId);
    const analysis: StatusAnalysis = {
      ...analyzeStatuses([], []),
      ok: arrivedAt !== undefined,
    };
    return {
      startedAt,
      mId: mId ?? messageId,
      hops: hops.stop(),
      statuses: [],
      analysis,
      totalMs: (arrivedAt ?? Date.now()) - startedAt,
    };
  } finally {
    unsubscribe();
  }
}
