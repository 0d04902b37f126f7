/**
 * The outbox's dedupe window: the last `size` keys seen, the oldest forgotten first.
 *
 * Keys sit in a ring (oldest overwritten first) and an open-addressing hash table over one
 * Int32Array finds them: `[ring slot + 1, hash]` pairs, linear probing, backward-shift
 * deletion. A Set did the same job, but with a full window every new key is also an eviction,
 * and a Set that adds and deletes forever rehashes its whole table every few tens of thousands
 * of keys (a new multi-megabyte table each time, for the GC to collect): it was the largest
 * single cost of intake. This table is sized once per doubling and never rehashed after.
 *
 * The hash is seeded per process, so keys chosen to collide in one run do not in another.
 */
const SEED = (Math.random() * 2 ** 32) >>> 0;

/** FNV-1a over the UTF-16 code units, then murmur3's finaliser (the table uses the low bits). */
function hashOf(key: string): number {
  let h = (0x811c9dc5 ^ SEED) >>> 0;
  for (let i = 0; i < key.length; i += 1) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Smallest power of two >= n. */
const powerOfTwoAtLeast = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(2, n)));

export class SeenWindow {
  readonly size: number;
  /** Keys by ring slot; `undefined` where a key was deleted. */
  #ring: Array<string | undefined> = [];
  /** The hash of each ring slot's key. */
  #hashes: Int32Array;
  /** Where the next key goes once the ring is full (the oldest slot). */
  #next = 0;
  #count = 0;
  /** `[slot + 1, hash]` per table position; 0 marks an empty position. */
  #table: Int32Array;
  #mask: number;

  constructor(size: number) {
    this.size = Math.max(1, Math.floor(size));
    this.#hashes = new Int32Array(Math.min(this.size, 1024));
    const capacity = Math.min(powerOfTwoAtLeast(2 * this.size), 2048);
    this.#table = new Int32Array(2 * capacity);
    this.#mask = capacity - 1;
  }

  /** Keys in the window. */
  get count(): number {
    return this.#count;
  }

  has(key: string): boolean {
    return this.#find(key, hashOf(key)) >= 0;
  }

  /** Adds `key`; false when it was already in the window. */
  addIfNew(key: string): boolean {
    const hash = hashOf(key);
    if (this.#find(key, hash) >= 0) return false;
    this.#append(key, hash);
    return true;
  }

  add(key: string): void {
    this.addIfNew(key);
  }

  /**
   * Replay: records a key in the ring only (no table, no duplicate check), far cheaper for a
   * million records of which only the last `size` count; call `rebuild()` after the replay.
   */
  push(key: string): void {
    if (this.#ring.length < this.size) {
      this.#ring.push(key);
      return;
    }
    if (this.#next >= this.size) this.#next = 0;
    this.#ring[this.#next] = key;
    this.#next += 1;
  }

  /**
   * The table from the ring, after `push()`es. A key pushed twice (a compaction's `seen` record
   * and a live event's `add`) keeps only its newest slot, so evicting the older one later
   * cannot forget a key still inside the window.
   */
  rebuild(): void {
    const old = this.#ring;
    const n = old.length;
    const oldest = n < this.size ? 0 : this.#next % n;
    const newestFirst: string[] = [];
    const hashes: number[] = [];
    const capacity = powerOfTwoAtLeast(2 * n);
    this.#table = new Int32Array(2 * capacity);
    this.#mask = capacity - 1;
    // Indexed newest first while deduplicating (`#find` reads the ring), renumbered after.
    this.#ring = newestFirst;
    for (let i = n - 1; i >= 0; i -= 1) {
      const key = old[(oldest + i) % n];
      if (key === undefined) continue;
      const hash = hashOf(key);
      if (this.#find(key, hash) >= 0) continue;
      this.#insert(newestFirst.length, hash);
      newestFirst.push(key);
      hashes.push(hash);
    }
    const kept = newestFirst.length;
    const table = this.#table;
    for (let p = 0; p < table.length; p += 2) if (table[p] !== 0) table[p] = kept - table[p] + 1;
    this.#ring = newestFirst.reverse();
    this.#hashes = Int32Array.from(hashes.reverse());
    this.#next = 0;
    this.#count = kept;
  }

  /** Forgets a key whose event could not be recorded (its slot is reused in turn). */
  delete(key: string): void {
    const position = this.#find(key, hashOf(key));
    if (position < 0) return;
    this.#ring[this.#table[position] - 1] = undefined;
    this.#remove(position);
    this.#count -= 1;
  }

  /** Oldest first. */
  *keys(): IterableIterator<string> {
    const n = this.#ring.length;
    const oldest = n < this.size ? 0 : this.#next % n;
    for (let i = 0; i < n; i += 1) {
      const key = this.#ring[(oldest + i) % n];
      if (key !== undefined) yield key;
    }
  }

  /** The table position (even index) holding `key`, or -1. */
  #find(key: string, hash: number): number {
    const table = this.#table;
    const mask = this.#mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const slot = table[2 * i];
      if (slot === 0) return -1;
      if (table[2 * i + 1] === hash && this.#ring[slot - 1] === key) return 2 * i;
    }
  }

  /** Records a key known not to be in the window, evicting the oldest when it is full. */
  #append(key: string, hash: number): void {
    const ring = this.#ring;
    let slot: number;
    if (ring.length < this.size) {
      slot = ring.length;
      ring.push(key);
      if (slot >= this.#hashes.length) this.#growHashes();
      if (2 * (this.#count + 1) > this.#mask + 1) this.#resize(this.#count + 1);
    } else {
      if (this.#next >= this.size) this.#next = 0;
      slot = this.#next;
      this.#next += 1;
      const evicted = ring[slot];
      if (evicted !== undefined) {
        this.#remove(this.#positionOf(slot, this.#hashes[slot]));
        this.#count -= 1;
      }
      ring[slot] = key;
    }
    this.#hashes[slot] = hash;
    this.#insert(slot, hash);
    this.#count += 1;
  }

  /** The table position of ring slot `slot`, whose key hashes to `hash`. */
  #positionOf(slot: number, hash: number): number {
    const table = this.#table;
    const mask = this.#mask;
    for (let i = hash & mask, probes = 0; probes <= mask; i = (i + 1) & mask, probes += 1) {
      if (table[2 * i] === slot + 1) return 2 * i;
    }
    // Cannot happen while every filled ring slot is in the table; an error rather than a hang.
    throw new Error(`dedupe window: ring slot ${slot} is missing from its table`);
  }

  #insert(slot: number, hash: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let i = hash & mask;
    while (table[2 * i] !== 0) i = (i + 1) & mask;
    table[2 * i] = slot + 1;
    table[2 * i + 1] = hash;
  }

  /** Empties a table position, moving later entries of its probe run back (no tombstones). */
  #remove(position: number): void {
    const table = this.#table;
    const mask = this.#mask;
    let hole = position / 2;
    for (let i = (hole + 1) & mask; table[2 * i] !== 0; i = (i + 1) & mask) {
      const home = table[2 * i + 1] & mask;
      // An entry moves into the hole when the hole lies (cyclically) between its home and it.
      if (((hole - home) & mask) < ((i - home) & mask)) {
        table[2 * hole] = table[2 * i];
        table[2 * hole + 1] = table[2 * i + 1];
        hole = i;
      }
    }
    table[2 * hole] = 0;
    table[2 * hole + 1] = 0;
  }

  #growHashes(): void {
    const grown = new Int32Array(Math.min(this.size, Math.max(1024, 2 * this.#hashes.length)));
    grown.set(this.#hashes);
    this.#hashes = grown;
  }

  /** A table for `keys` keys at a load of at most one half, the live keys moved over. */
  #resize(keys: number): void {
    const capacity = Math.max(this.#mask + 1, powerOfTwoAtLeast(2 * keys));
    if (capacity === this.#mask + 1) return;
    const old = this.#table;
    this.#table = new Int32Array(2 * capacity);
    this.#mask = capacity - 1;
    for (let p = 0; p < old.length; p += 2) if (old[p] !== 0) this.#insert(old[p] - 1, old[p + 1]);
  }
}
