/**
 * `/message` answers counted in plain numbers and handed to prom-client when `/metrics` is
 * scraped (from the metrics' `collect`): prom-client's `inc` and `observe` check and hash the
 * labels on every call, which showed in profiles of `/message`. The durations go into
 * prom-client's own record of each label set, which is not public API: package.json pins
 * prom-client to the version this was written against, and test/hot-path.test.ts compares the
 * scrape with prom-client observing each answer itself.
 */
import type { Counter, Histogram } from 'prom-client';

export type MessageOutcome = 'sent' | 'refused' | 'failed';

/** `/message` outcome from its status code. */
export function messageOutcome(statusCode: number): MessageOutcome {
  if (statusCode < 400) return 'sent';
  return statusCode < 500 ? 'refused' : 'failed';
}

/** One (adapter, outcome)'s answers not yet handed over. */
interface Tally {
  labels: { adapter: string; outcome: MessageOutcome };
  /** For the counter. */
  requests: number;
  /** For the histogram: count, sum (s), and per bucket the values whose first bound >= them. */
  count: number;
  sum: number;
  buckets: number[];
}

/** prom-client's own record of one label set of a histogram (v15). */
interface HistogramEntry {
  labels: Record<string, string>;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

export class MessageTally {
  readonly #bounds: readonly number[];
  readonly #byAdapter = new Map<string, Partial<Record<MessageOutcome, Tally>>>();
  readonly #all: Tally[] = [];

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
  }

  /** One answer: its status code and how long it took (ms). */
  record(adapter: string, statusCode: number, ms: number): void {
    const outcome = messageOutcome(statusCode);
    let outcomes = this.#byAdapter.get(adapter);
    if (!outcomes) {
      outcomes = {};
      this.#byAdapter.set(adapter, outcomes);
    }
    let tally = outcomes[outcome];
    if (!tally) {
      tally = { labels: { adapter, outcome }, requests: 0, count: 0, sum: 0, buckets: this.#bounds.map(() => 0) };
      outcomes[outcome] = tally;
      this.#all.push(tally);
    }
    const seconds = ms / 1000;
    tally.requests += 1;
    tally.count += 1;
    tally.sum += seconds;
    // prom-client's bucket: the first bound at or above the value (above them all: only +Inf).
    for (let i = 0; i < this.#bounds.length; i += 1) {
      if (seconds <= this.#bounds[i]) {
        tally.buckets[i] += 1;
        break;
      }
    }
  }

  /** Adds the requests counted since the last call to `counter`. */
  flushRequests(counter: Counter<'adapter' | 'outcome'>): void {
    for (const tally of this.#all) {
      if (tally.requests === 0) continue;
      counter.inc(tally.labels, tally.requests);
      tally.requests = 0;
    }
  }

  /**
   * Adds the durations recorded since the last call to `histogram` (built with the same
   * bounds): into prom-client's record of each label set, which `zero()` creates.
   */
  flushDurations(histogram: Histogram<'adapter' | 'outcome'>): void {
    for (const tally of this.#all) {
      if (tally.count === 0) continue;
      const entry = this.#entryOf(histogram, tally.labels);
      entry.count += tally.count;
      entry.sum += tally.sum;
      for (let i = 0; i < this.#bounds.length; i += 1) entry.bucketValues[this.#bounds[i]] += tally.buckets[i];
      tally.count = 0;
      tally.sum = 0;
      tally.buckets.fill(0);
    }
  }

  #entryOf(histogram: Histogram<'adapter' | 'outcome'>, labels: Tally['labels']): HistogramEntry {
    const find = () =>
      Object.values((histogram as unknown as { hashMap: Record<string, HistogramEntry> }).hashMap ?? {}).find(
        (entry) => entry.labels.adapter === labels.adapter && entry.labels.outcome === labels.outcome,
      );
    let entry = find();
    if (!entry) {
      histogram.zero(labels);
      entry = find();
    }
    if (!entry) throw new Error('prom-client histogram without a record after zero(): unsupported prom-client version');
    return entry;
  }
}
