/**
 * The outbox's entries by id, cheaper than a Map for a million of them: ids are
 * `<idBase>-<seq in base 36>` (one id base per process run), so each base's entries sit in an
 * array indexed by seq. Building it at replay costs about a fifth of a Map's inserts, and no
 * rehashing of a million-slot table. Any other id (older journals, hand-made ones) goes to a Map.
 *
 * Iteration order is by id base (first seen first), then seq; not insertion order.
 *
 * A bucket slot may hold a row number instead of an entry (`setRow`): an entry replayed from the
 * journal and not needed as an object yet. `get` and `values` turn it into one with
 * `materialize` (once: the object replaces the number), so every caller sees entries.
 */

/** Seqs past this go to the Map (an array that sparse would turn into a dictionary anyway). */
const MAX_SEQ = 2 ** 28;

/** The seq of an id ending in `-<base 36 digits>` without a leading zero, else -1. */
export function seqOf(id: string, dash: number): number {
  const length = id.length - dash - 1;
  if (dash <= 0 || length < 1 || length > 6) return -1;
  let seq = 0;
  for (let i = dash + 1; i < id.length; i += 1) {
    const c = id.charCodeAt(i);
    let digit: number;
    if (c >= 48 && c <= 57) digit = c - 48;
    else if (c >= 97 && c <= 122) digit = c - 87;
    else return -1;
    if (digit === 0 && i === dash + 1 && length > 1) return -1;
    seq = seq * 36 + digit;
  }
  return seq < MAX_SEQ ? seq : -1;
}

/** One id base's entries: `items[seq - first]`; slots below `head` are all empty. */
interface Bucket<T> {
  first: number;
  head: number;
  items: Array<T | number | undefined>;
  count: number;
}

/** A seq this far past a bucket's end goes to the Map (filling the gap would cost more). */
const MAX_GAP = 1 << 16;

export class EntryIndex<T extends { id: string }> {
  #buckets = new Map<string, Bucket<T>>();
  /** The last bucket looked up (nearly every lookup is in the same one). */
  #lastBase: string | undefined;
  #last: Bucket<T> | undefined;
  #other = new Map<string, T>();
  #size = 0;
  readonly #materialize: (row: number) => T;

  constructor(
    materialize: (row: number) => T = () => {
      throw new Error('entry index: no rows to materialize');
    },
  ) {
    this.#materialize = materialize;
  }

  get size(): number {
    return this.#size;
  }

  #bucket(base: string): Bucket<T> | undefined {
    if (base === this.#lastBase) return this.#last;
    const bucket = this.#buckets.get(base);
    if (bucket) {
      this.#lastBase = base;
      this.#last = bucket;
    }
    return bucket;
  }

  get(id: string): T | undefined {
    const dash = id.lastIndexOf('-');
    const seq = seqOf(id, dash);
    if (seq >= 0) {
      const bucket = this.#bucket(id.slice(0, dash));
      if (bucket) {
        const value = bucket.items[seq - bucket.first];
        if (typeof value === 'number') {
          const entry = this.#materialize(value);
          bucket.items[seq - bucket.first] = entry;
          return entry;
        }
        if (value !== undefined) return value;
      }
    }
    return this.#other.size > 0 ? this.#other.get(id) : undefined;
  }

  /** What `id`'s slot holds, a row number not turned into an entry (the replay's own check). */
  raw(id: string): T | number | undefined {
    const dash = id.lastIndexOf('-');
    const seq = seqOf(id, dash);
    const bucket = seq >= 0 ? this.#bucket(id.slice(0, dash)) : undefined;
    const value = bucket?.items[seq - bucket.first];
    return value !== undefined ? value : this.#other.get(id);
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  set(id: string, value: T): this {
    if (!this.#place(id, value)) {
      if (!this.#other.has(id)) this.#size += 1;
      this.#other.set(id, value);
    }
    return this;
  }

  /** Records replayed row `row` for `id`; false when `id` has no bucket slot (make the entry then). */
  setRow(id: string, row: number): boolean {
    return this.#place(id, row);
  }

  /** Puts `value` in `id`'s bucket slot; false when the id belongs in the Map. */
  #place(id: string, value: T | number): boolean {
    const dash = id.lastIndexOf('-');
    const seq = seqOf(id, dash);
    if (seq < 0 || this.#other.has(id)) return false;
    const base = id.slice(0, dash);
    let bucket = this.#bucket(base);
    if (!bucket) {
      bucket = { first: seq, head: 0, items: [], count: 0 };
      this.#buckets.set(base, bucket);
      this.#lastBase = base;
      this.#last = bucket;
    }
    const i = seq - bucket.first;
    if (i < 0 || i - bucket.items.length > MAX_GAP) return false;
    const { items } = bucket;
    // Fill a gap first: `items[i] =` far past the end would make the array sparse.
    while (items.length < i) items.push(undefined);
    if (items[i] === undefined) {
      bucket.count += 1;
      this.#size += 1;
      if (i < bucket.head) bucket.head = i;
    }
    items[i] = value;
    return true;
  }

  delete(id: string): boolean {
    const dash = id.lastIndexOf('-');
    const seq = seqOf(id, dash);
    const base = seq >= 0 ? id.slice(0, dash) : '';
    const bucket = seq >= 0 ? this.#bucket(base) : undefined;
    if (bucket && bucket.items[seq - bucket.first] !== undefined) {
      const i = seq - bucket.first;
      bucket.items[i] = undefined;
      bucket.count -= 1;
      this.#size -= 1;
      if (bucket.count === 0) {
        this.#buckets.delete(base);
        this.#lastBase = undefined;
        this.#last = undefined;
        return true;
      }
      if (i === bucket.head) {
        while (bucket.head < bucket.items.length && bucket.items[bucket.head] === undefined) bucket.head += 1;
        // Delivery is roughly oldest first: drop the emptied front now and then.
        if (bucket.head > 1024 && bucket.head * 2 > bucket.items.length) {
          bucket.items = bucket.items.slice(bucket.head);
          bucket.first += bucket.head;
          bucket.head = 0;
        }
      }
      return true;
    }
    if (this.#other.size === 0 || !this.#other.delete(id)) return false;
    this.#size -= 1;
    return true;
  }

  clear(): void {
    this.#buckets.clear();
    this.#other.clear();
    this.#lastBase = undefined;
    this.#last = undefined;
    this.#size = 0;
  }

  *values(): IterableIterator<T> {
    for (const bucket of this.#buckets.values()) {
      const { items } = bucket;
      for (let i = bucket.head; i < items.length; i += 1) {
        let value = items[i];
        if (typeof value === 'number') {
          value = this.#materialize(value);
          items[i] = value;
        }
        if (value !== undefined) yield value;
      }
    }
    yield* this.#other.values();
  }

  /** Like `values`, but a replayed row stays its number (a compaction moves rows' lines as they are). */
  *rawValues(): IterableIterator<T | number> {
    for (const bucket of this.#buckets.values()) {
      const { items } = bucket;
      for (let i = bucket.head; i < items.length; i += 1) {
        const value = items[i];
        if (value !== undefined) yield value;
      }
    }
    yield* this.#other.values();
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.values();
  }
}
