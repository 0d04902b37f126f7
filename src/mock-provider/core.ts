/**
 * The mock provider's state and behaviour without HTTP: accepted sends, scenario rules, and
 * the signed callbacks it posts to the integration server on a schedule.
 */
import { randomBytes } from 'node:crypto';
import {
  CALLBACK_PATH,
  type EchoCallback,
  type InboundCallback,
  type ProviderCallback,
  type ProviderContent,
  type ProviderSend,
  type ProviderStatus,
  SIGNATURE_HEADER,
  signBody,
} from './protocol.js';
import { buildStatusPlan, isScenario, OUTAGE_MS, type PlanOptions, type Scenario, scenarios } from './scenarios.js';

/**
 * A provider outage: sends are answered 503 (optionally with Retry-After) or their
 * connections refused until `until` (epoch ms).
 */
export interface MockFault {
  mode: '503' | 'refuse';
  until: number;
  /** Retry-After header value for 503 answers. */
  retryAfter?: string;
}

/** One send the mock accepted. */
export interface MockSend {
  id: string;
  /** The send's `Idempotency-Key` header, when it carried one. */
  idempotencyKey?: string;
  /** Times this send reached the mock (more than 1: retries deduplicated by idempotency key). */
  deliveries: number;
  to: string;
  body: ProviderSend;
  scenario: Scenario;
  acceptedAt: number;
  /** Statuses posted so far, in order, with the bridge's HTTP answer (0: no answer). */
  callbacks: Array<{ status: ProviderStatus; httpStatus: number; error?: string }>;
}

/** One callback the mock posted (or tried to). */
export interface MockCallbackRecord {
  kind: ProviderCallback['kind'];
  messageId: string;
  url: string;
  body: ProviderCallback;
  /** HTTP status of the answer; 0 when there was none. */
  httpStatus: number;
  error?: string;
  attempts: number;
}

export type MockActivity = { kind: 'send'; send: MockSend } | { kind: 'callback'; callback: MockCallbackRecord };

export interface MockCoreOptions extends PlanOptions {
  defaultScenario?: Scenario;
  rules?: Array<{ contactId: string; scenario: Scenario }>;
  webhookSecret: string;
  callbackBase?: string;
  fetch?: typeof fetch;
  now?: () => number;
  /** Extra attempts for a callback the bridge did not take (network error or 5xx). Default 2. */
  retries?: number;
  /** How long the `provider-outage` scenario keeps the provider down (default 6.5 s). */
  outageMs?: number;
  onActivity?(activity: MockActivity): void;
}

/** A failed inbound or echo injection: the bridge was unreachable or refused it. */
export class MockCallbackError extends Error {
  readonly httpStatus: number;
  constructor(message: string, httpStatus: number) {
    super(message);
    this.name = 'MockCallbackError';
    this.httpStatus = httpStatus;
  }
}

const newId = (prefix: string) => `${prefix}_${randomBytes(9).toString('hex')}`;

export function createMockCore(options: MockCoreOptions) {
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  const retries = options.retries ?? 2;
  const sendLog: MockSend[] = [];
  const callbackLog: MockCallbackRecord[] = [];
  const byKey = new Map<string, MockSend>();
  // provider-outage: when each contact's outage ends.
  const outages = new Map<string, number>();
  let fault: MockFault | undefined;
  let refused = 0;
  const rules = new Map<string, Scenario>(options.rules?.map((rule) => [rule.contactId, rule.scenario]));
  if (!rules.has('*')) rules.set('*', options.defaultScenario ?? 'read');
  // Pending pauses and how to end them early: close() resolves them so no scenario hangs.
  const timers = new Map<NodeJS.Timeout, () => void>();
  const running = new Set<Promise<void>>();
  let callbackBase = options.callbackBase?.replace(/\/+$/, '');
  let closed = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (closed) return resolve();
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.set(timer, resolve);
    });

  function callbackUrl(explicit?: string): string | undefined {
    if (explicit) return explicit;
    return callbackBase ? `${callbackBase}${CALLBACK_PATH}` : undefined;
  }

  /** Posts one signed callback, retrying a network error or 5xx; never throws. */
  async function post(url: string | undefined, body: ProviderCallback): Promise<MockCallbackRecord> {
    const record: MockCallbackRecord = {
      kind: body.kind,
      messageId: body.messageId,
      url: url ?? '',
      body,
      httpStatus: 0,
      attempts: 0,
    };
    if (!url) record.error = 'no callback URL: call setCallbackBase(bridgeUrl) first';
    const raw = JSON.stringify(body);
    while (url && record.attempts <= retries && !closed) {
      record.attempts += 1;
      try {
        const response = await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(raw, options.webhookSecret) },
          body: raw,
        });
        record.httpStatus = response.status;
        await response.text();
        record.error = response.ok ? undefined : `the integration server answered ${response.status}`;
        if (response.status < 500) break;
      } catch (error) {
        record.error = `unreachable: ${error instanceof Error ? String(error.cause ?? error.message) : String(error)}`;
      }
      if (record.attempts <= retries) await sleep(100 * record.attempts);
    }
    callbackLog.push(record);
    options.onActivity?.({ kind: 'callback', callback: record });
    return record;
  }

  function track(work: Promise<void>) {
    running.add(work);
    void work.finally(() => running.delete(work));
  }

  async function playScenario(send: MockSend) {
    let previous = now();
    for (const step of buildStatusPlan(send.scenario, options)) {
      await sleep(step.delayMs);
      if (closed) return;
      const body = {
        kind: 'status' as const,
        messageId: send.id,
        to: send.to,
        status: step.status,
        ...(step.error ? { error: step.error } : {}),
        timestamp: step.datedBeforePrevious ? previous - 1 : now(),
      };
      previous = body.timestamp;
      const record = await post(callbackUrl(send.body.callbackUrl), body);
      send.callbacks.push({ status: step.status, httpStatus: record.httpStatus, error: record.error });
    }
  }

  async function inject(body: InboundCallback | EchoCallback): Promise<{ messageId: string; httpStatus: number }> {
    const url = callbackUrl();
    if (!url) throw new MockCallbackError('no callback URL: call setCallbackBase(bridgeUrl) first', 0);
    const record = await post(url, body);
    if (record.httpStatus < 200 || record.httpStatus >= 300) {
      throw new MockCallbackError(`${body.kind} ${body.messageId} not taken: ${record.error}`, record.httpStatus);
    }
    return { messageId: body.messageId, httpStatus: record.httpStatus };
  }

  const scenarioFor = (contactId: string): Scenario => rules.get(contactId) ?? rules.get('*') ?? 'read';

  return {
    scenarioFor,
    setScenario(contactId: string, scenario: Scenario) {
      if (!isScenario(scenario)) throw new TypeError(`unknown scenario "${scenario}" (one of ${scenarios.join(', ')})`);
      rules.set(contactId || '*', scenario);
    },
    rules: () => Object.fromEntries(rules),
    setCallbackBase(url: string) {
      callbackBase = url.replace(/\/+$/, '');
    },
    callbackBase: () => callbackBase,
    /** The outage in force for a send to `to`, if any (a global fault, or the contact's scenario). */
    faultFor(to: string): MockFault | undefined {
      const at = now();
      if (fault && fault.until > at) return fault;
      if (scenarioFor(to) !== 'provider-outage') return undefined;
      let until = outages.get(to);
      if (until === undefined) {
        until = at + (options.outageMs ?? OUTAGE_MS);
        outages.set(to, until);
      }
      return until > at ? { mode: '503', until } : undefined;
    },
    /** Down from now for `ms` (0 ends an outage). */
    setFault(next: { mode: MockFault['mode']; ms: number; retryAfter?: string } | undefined) {
      fault =
        next && next.ms > 0 ? { mode: next.mode, until: now() + next.ms, retryAfter: next.retryAfter } : undefined;
      return fault;
    },
    fault: () => (fault && fault.until > now() ? fault : undefined),
    /** Counts a send refused by a fault. */
    refusedOne() {
      refused += 1;
    },
    refused: () => refused,
    /**
     * Records an accepted send and starts its scenario; returns the provider message id. A
     * repeated idempotency key gets the first send's id back and starts nothing.
     */
    accept(body: ProviderSend, idempotencyKey?: string): MockSend {
      const known = idempotencyKey ? byKey.get(idempotencyKey) : undefined;
      if (known) {
        known.deliveries += 1;
        return known;
      }
      const send: MockSend = {
        id: newId('msg'),
        ...(idempotencyKey ? { idempotencyKey } : {}),
        deliveries: 1,
        to: body.to,
        body,
        scenario: scenarioFor(body.to),
        acceptedAt: now(),
        callbacks: [],
      };
      sendLog.push(send);
      if (idempotencyKey) byKey.set(idempotencyKey, send);
      options.onActivity?.({ kind: 'send', send });
      track(playScenario(send));
      return send;
    },
    injectInbound(input: { from: string; fromName?: string } & ProviderContent) {
      const { from, fromName, ...content } = input;
      return inject({
        kind: 'message',
        messageId: newId('in'),
        from,
        ...(fromName ? { fromName } : {}),
        timestamp: now(),
        ...content,
      });
    },
    injectEcho(input: { to: string } & ProviderContent) {
      const { to, ...content } = input;
      return inject({ kind: 'echo', messageId: newId('echo'), to, timestamp: now(), ...content });
    },
    sends: () => [...sendLog],
    callbacks: () => [...callbackLog],
    clear() {
      byKey.clear();
      outages.clear();
      refused = 0;
      sendLog.length = 0;
      callbackLog.length = 0;
    },
    /** Resolves when every scenario started so far has posted all its callbacks. */
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    stop() {
      closed = true;
      for (const [timer, resolve] of timers) {
        clearTimeout(timer);
        resolve();
      }
      timers.clear();
    },
  };
}

export type MockCore = ReturnType<typeof createMockCore>;
