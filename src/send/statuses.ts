/**
 * Judges a message's status history against what `send --expect` asked for: what is missing,
 * what came out of order (accepted), what came twice or went backwards (reported).
 */
import { type StatusValue, statusValues } from '../contract/constants.js';
import { usageError } from '../errors.js';

/** One status as respond.io recorded it. */
export interface StatusObservation {
  value: StatusValue;
  /** Epoch ms when respond.io (the emulator) recorded it. */
  at: number;
  /** Failure reason. */
  message?: string;
  /** `response`: from the `/message` answer (sent). `callback`: a `message_status` event. */
  source: 'response' | 'callback';
}

export interface StatusAnalysis {
  ok: boolean;
  expected: StatusValue[];
  /** Values in the order they arrived. */
  received: StatusValue[];
  /** The provider's receipts in arrival order (the `/message` answer's "sent" left out). */
  order: StatusValue[];
  missing: StatusValue[];
  /** Arrival order differs from sent < delivered < read (accepted, reported). */
  outOfOrder: boolean;
  /** Callback values that arrived more than once. */
  duplicates: StatusValue[];
  /** Arrivals that moved the status backwards, e.g. `delivered after read`, `read after failed`. */
  regressions: string[];
  /** Arrived but not expected and fatal to the expectation (`failed` when expecting success). */
  unexpected: StatusValue[];
  /** The failure reason, when `failed` arrived. */
  failedReason?: string;
}

const RANK: Record<StatusValue, number> = { sent: 1, delivered: 2, read: 3, failed: 4 };

/**
 * Parses `--expect sent,delivered,read` (or `failed`).
 * @example parseExpect('sent, delivered') // ['sent', 'delivered']
 */
export function parseExpect(text: string): StatusValue[] {
  const values = text
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  const bad = values.filter((v) => !(statusValues as readonly string[]).includes(v));
  if (values.length === 0 || bad.length > 0) {
    throw usageError(
      `--expect ${JSON.stringify(text)}: ${bad.length ? `unknown status ${bad.join(', ')}` : 'empty'}`,
      `use a comma list of ${statusValues.join(', ')}, e.g. --expect sent,delivered,read`,
    );
  }
  return [...new Set(values as StatusValue[])];
}

/**
 * Compares what arrived with what was expected.
 * @example analyzeStatuses([{ value: 'sent', at: 1, source: 'response' }], ['sent', 'read']).missing // ['read']
 */
export function analyzeStatuses(
  history: readonly StatusObservation[],
  expected: readonly StatusValue[],
): StatusAnalysis {
  const received = history.map((s) => s.value);
  const seen = new Set(received);
  const missing = expected.filter((v) => !seen.has(v));

  const duplicates = new Set<StatusValue>();
  const regressions: string[] = [];
  const callbacks = new Set<StatusValue>();
  let outOfOrder = false;
  let highest: StatusObservation | undefined;
  const earlier = new Set<StatusValue>();
  for (const status of history) {
    if (status.source === 'callback') {
      if (callbacks.has(status.value)) duplicates.add(status.value);
      callbacks.add(status.value);
    }
    if (highest && highest.value === 'failed' && status.value !== 'failed') {
      regressions.push(`${status.value} after failed`);
    } else if (highest && status.value === 'failed' && highest.value !== 'sent' && highest.value !== 'failed') {
      regressions.push(`failed after ${highest.value}`);
    } else if (highest && RANK[status.value] < RANK[highest.value]) {
      // First arrival of a lower status: the receipts crossed on the way (out of order).
      // A lower status seen before, arriving again: the status went backwards.
      if (earlier.has(status.value)) regressions.push(`${status.value} after ${highest.value}`);
      else outOfOrder = true;
    }
    earlier.add(status.value);
    if (!highest || RANK[status.value] >= RANK[highest.value]) highest = status;
  }
  const failed = history.find((s) => s.value === 'failed');
  const unexpected: StatusValue[] = failed && !expected.includes('failed') ? ['failed'] : [];
  return {
    ok: missing.length === 0 && unexpected.length === 0,
    expected: [...expected],
    received,
    order: callbackOrder(history),
    missing,
    outOfOrder,
    duplicates: [...duplicates],
    regressions,
    unexpected,
    failedReason: failed?.message,
  };
}

function callbackOrder(history: readonly StatusObservation[]): StatusValue[] {
  const callbacks = history.filter((s) => s.source === 'callback').map((s) => s.value);
  return callbacks.length > 0 ? callbacks : history.map((s) => s.value);
}

/** One line per finding, for the human report. */
export function describeAnalysis(analysis: StatusAnalysis): string[] {
  const lines: string[] = [];
  if (analysis.missing.length) lines.push(`missing: ${analysis.missing.join(', ')} (never arrived)`);
  if (analysis.unexpected.includes('failed')) {
    lines.push(`failed: ${analysis.failedReason ?? 'no reason given'} (expected ${analysis.expected.join(', ')})`);
  } else if (analysis.failedReason !== undefined) {
    lines.push(`failed with reason: ${analysis.failedReason}`);
  }
  if (analysis.outOfOrder) lines.push(`out of order (accepted): the provider reported ${analysis.order.join(' -> ')}`);
  if (analysis.duplicates.length) lines.push(`duplicates: ${analysis.duplicates.join(', ')} reported more than once`);
  for (const regression of analysis.regressions) lines.push(`regression: ${regression}`);
  return lines;
}
