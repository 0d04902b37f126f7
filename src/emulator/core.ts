/**
 * Everything the emulator is, apart from HTTP: channels and credentials, the store, faults,
 * rate limiters and the outgoing flow. The Fastify routes and the returned handle both call it.
 */
import { buildRateLimiter, type RateLimiter } from '../lib/rate-limit.js';
import { safeEqual } from '../secrets.js';
import { resolveCredentials } from './credentials.js';
import {
  EmulatorInputError,
  type OutgoingContext,
  runBroadcast,
  type StartedMessage,
  startOutgoing,
} from './outgoing.js';
import { startPersistence } from './persist.js';
import { EmulatorStore } from './store.js';
import type {
  BroadcastInput,
  EmulatorChannel,
  EmulatorEvent,
  EmulatorFaults,
  EmulatorOptions,
  OutgoingMessageRecord,
  SendMessageInput,
} from './types.js';

/** Emulator choice: respond.io documents no body limit; 1 MiB is generous for JSON events. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Emulator choice: respond.io documents no `/message` timeout. */
export const DEFAULT_MESSAGE_TIMEOUT_MS = 10_000;
/** Contract section 1 (A): 20 requests per second for Custom Channels. */
export const DEFAULT_RATE_LIMIT = 20;
/** Emulator choice: the Developer API's per-token limit (respond.io's exact figure varies by endpoint). */
export const DEFAULT_DEV_API_RATE_LIMIT = 10;

export const NO_FAULTS: EmulatorFaults = { latencyMs: 0, failureRate: 0, force429: false, force5xx: false };

export interface EmulatorCore {
  readonly store: EmulatorStore;
  readonly channels: EmulatorChannel[];
  readonly devApiToken: string;
  readonly strict: boolean;
  readonly bodyLimit: number;
  readonly webhookLimiter?: RateLimiter;
  readonly devApiLimiter: RateLimiter;
  faults: EmulatorFaults;
  /** The channel whose token this is (constant-time compare against every channel). */
  channelByToken(token: string): EmulatorChannel | undefined;
  /** The channel with this ID (default the first); throws EmulatorInputError 404. */
  channel(channelId?: string): EmulatorChannel;
  channelByNumericId(numericId: number): EmulatorChannel | undefined;
  setApiBaseUrl(channelIdOrUrl: string, url?: string): void;
  start(input: SendMessageInput, origin: OutgoingMessageRecord['origin']): StartedMessage;
  broadcast(input: BroadcastInput): Promise<OutgoingMessageRecord[]>;
  setFaults(faults: Partial<EmulatorFaults>): EmulatorFaults;
  waitFor(predicate: (event: EmulatorEvent) => boolean, timeoutMs?: number, since?: number): Promise<EmulatorEvent>;
  /** Writes pending state (persistence) and stops timers. */
  shutdown(): Promise<void>;
}

/** Resolves credentials, loads persisted state and wires the parts. */
export async function createEmulatorCore(options: EmulatorOptions = {}): Promise<EmulatorCore> {
  const now = options.now ?? Date.now;
  const { channels, devApiToken } = await resolveCredentials(options);
  const store = new EmulatorStore(now, options.maxMessages);
  const persistence = options.persistFile ? await startPersistence(store, options.persistFile) : undefined;
  const limit = options.rateLimitPerSecond ?? DEFAULT_RATE_LIMIT;
  let broadcastId = 0;
  const closing = new AbortController();
  const outgoing: OutgoingContext = {
    closing: closing.signal,
    inflight: new Set(),
    store,
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: options.messageTimeoutMs ?? DEFAULT_MESSAGE_TIMEOUT_MS,
    strict: options.strict === true,
  };

  const core: EmulatorCore = {
    store,
    channels,
    devApiToken,
    strict: options.strict === true,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    webhookLimiter: limit === false ? undefined : buildRateLimiter({ limit, now }),
    devApiLimiter: buildRateLimiter({ limit: options.devApiRateLimitPerSecond ?? DEFAULT_DEV_API_RATE_LIMIT, now }),
    faults: { ...NO_FAULTS, ...options.faults },
    channelByToken(token) {
      let found: EmulatorChannel | undefined;
      // Compare against every channel so the time taken does not tell which one matched.
      for (const channel of channels) if (safeEqual(token, channel.token) && !found) found = channel;
      return found;
    },
    channel(channelId) {
      const found = channelId === undefined ? channels[0] : channels.find((c) => c.channelId === channelId);
      if (!found) throw new EmulatorInputError(`no emulated channel has the ID ${JSON.stringify(channelId)}`, 404);
      return found;
    },
    channelByNumericId: (numericId) => channels.find((c) => c.numericId === numericId),
    setApiBaseUrl(channelIdOrUrl, url) {
      const target = url === undefined ? channels[0] : core.channel(channelIdOrUrl);
      target.apiBaseUrl = url ?? channelIdOrUrl;
    },
    start(input, origin) {
      return startOutgoing(outgoing, core.channel(input.channelId), { ...input, origin });
    },
    broadcast(input) {
      const channel = core.channel(input.channelId);
      const perSecond = options.broadcastPerSecond ?? DEFAULT_RATE_LIMIT;
      return runBroadcast(outgoing, channel, { ...input, broadcastId: ++broadcastId, perSecond });
    },
    setFaults(faults) {
      const next = { ...core.faults, ...faults };
      next.failureRate = Math.min(1, Math.max(0, next.failureRate));
      next.latencyMs = Math.max(0, next.latencyMs);
      core.faults = next;
      store.publish({ type: 'faults.changed', faults: { ...next } });
      return { ...next };
    },
    waitFor(predicate, timeoutMs = 5000, since) {
      if (since !== undefined) {
        const kept = store.events(since).find(predicate);
        if (kept) return Promise.resolve(kept);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          unsubscribe();
          reject(new Error(`no matching emulator event within ${timeoutMs} ms`));
        }, timeoutMs);
        const unsubscribe = store.subscribe((event) => {
          if (!predicate(event)) return;
          clearTimeout(timer);
          unsubscribe();
          resolve(event);
        });
      });
    },
    async shutdown() {
      closing.abort();
      await Promise.allSettled([...outgoing.inflight]);
      await persistence?.close();
    },
  };
  return core;
}
