/**
 * What each scenario does after a send is accepted: the status callbacks, in the order the
 * mock posts them, and how long it waits before each. Pure, so tests read it as a table.
 */
import type { ProviderStatus } from './protocol.js';
import { type Scenario, scenarios } from './types.js';

export { type Scenario, scenarios };

/** The reason a `failed` scenario gives. */
export const FAILED_REASON = 'recipient unreachable (mock provider scenario "failed")';

export interface StatusStep {
  status: ProviderStatus;
  /** Wait before posting this callback, counted from the previous one. */
  delayMs: number;
  error?: string;
  /**
   * Date this callback 1 ms before the previous one: `out-of-order` posts `delivered` after
   * `read` but dates it before, as a real late receipt would be.
   */
  datedBeforePrevious?: boolean;
}

export interface PlanOptions {
  /** Pause before each callback (default 50 ms). */
  stepMs?: number;
  /** Pause before each callback in the `slow` scenario (default 2000 ms). */
  slowMs?: number;
  /**
   * Post a `sent` callback first (default true). respond.io already counts a message as sent
   * when `/message` answers 200; a real provider still reports "sent" (handed to the network),
   * and the adapter forwards it, so the mock does too. Turn it off to see only later statuses.
   */
  sentCallback?: boolean;
}

const sequences: Record<Scenario, ProviderStatus[]> = {
  read: ['sent', 'delivered', 'read'],
  delivered: ['sent', 'delivered'],
  failed: ['sent', 'failed'],
  slow: ['sent', 'delivered', 'read'],
  duplicate: ['sent', 'delivered', 'delivered', 'read'],
  'out-of-order': ['sent', 'read', 'delivered'],
  silent: [],
  // Down (503) for a while from the contact's first send, then like `read` (see MockFault).
  'provider-outage': ['sent', 'delivered', 'read'],
};

/** How long the `provider-outage` scenario keeps the provider down (default). */
export const OUTAGE_MS = 6500;

/** True for a known scenario name. */
export function isScenario(value: unknown): value is Scenario {
  return typeof value === 'string' && (scenarios as readonly string[]).includes(value);
}

/**
 * The callbacks a scenario makes for one accepted message.
 * @example buildStatusPlan('failed') // [{status:'sent',...}, {status:'failed', error: FAILED_REASON, ...}]
 */
export function buildStatusPlan(scenario: Scenario, options: PlanOptions = {}): StatusStep[] {
  const stepMs = options.stepMs ?? 50;
  const delayMs = scenario === 'slow' ? (options.slowMs ?? 2000) : stepMs;
  const statuses = sequences[scenario].filter((status) => status !== 'sent' || options.sentCallback !== false);
  return statuses.map((status) => {
    const step: StatusStep = { status, delayMs };
    if (status === 'failed') step.error = FAILED_REASON;
    if (scenario === 'out-of-order' && status === 'delivered') step.datedBeforePrevious = true;
    return step;
  });
}

/** The statuses respond.io should end up with, in arrival order (what tests compare against). */
export function expectedStatuses(scenario: Scenario, options: PlanOptions = {}): ProviderStatus[] {
  return buildStatusPlan(scenario, options).map((step) => step.status);
}
