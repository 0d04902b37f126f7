/**
 * The outbox's dedupe window: the last `size` keys seen, the oldest forgotten first.
 *
 * Keys sit in a ring of slots (oldest overwritten first) and an open-addressing hash table over
 * one Int32Array finds them: `[slot + 1, hash]` pairs, linear probing, backward-shift deletion.
 * A Set did the same job, but with a full window every new key is also an eviction, and a Set
 * that adds and deletes forever rehashes its whole table every few tens of thousands of keys (a
 * new multi-megabyte table each time, for the GC to collect): it was the largest single cost of
 * intake. This table is sized once per doubling and never rehashed after.
 *
 * The keys themselves are not strings on the heap but bytes in one arena, latin1 (one byte per
 * character) or, for a key with a character past U+00FF, UTF-16. A hundred thousand key strings
 * made at start-up by the journal's replay all survive it, and that many survivors make V8 grow
 * its young generation to the maximum (about 20 MB of RSS it gives back only after seconds
 * idle). The arena is appended to in age order, so the bytes of evicted keys are at its front:
 * when it is full, the live bytes move to the front in one copy (or to an arena half as big
 * again), every so many keys.
 *
 * The hash is seeded per process, so keys chosen to collide in one run do not in another.
 */
const SEED = (Math.random() * 2 ** 32) >>> 0;
const FNV_OFFSET = (0x811c9dc5 ^ SEED) >>> 0;

/** murmur3's finaliser: FNV-1a's low bits alone (the table uses them) mix poorly. */
function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** FNV-1a over the UTF-16 code units, then murmur3's finaliser. */
function hashOf(key: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < key.length; i += 1) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return finish(h);
}

/** Smallest power of two >= n. */
const powerOfTwoAtLeast = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(2, n)));

/** A character past U+00FF: a key holding one is stored as UTF-16, not latin1. */
const WIDE = /[^\0-\xff]/;

/** Slots are added this many at a time while the ring fills (up to `size`). */
const SLOT_STEP = 1024;
const FIRST_ARENA = 4096;

export class SeenWindow {
  readonly size: number;
  /** Ring slots in use: grows to `size`, then slots are reused oldest first. */
  #slots = 0;
  /** Where each slot's key starts in the arena; -1 for an empty slot (its key deleted or evicted). */
  #starts: Int32Array;
  /** Each slot's key length in bytes: latin1 when >= 0, UTF-16LE of `-length` bytes when < 0. */
  #lengths: Int32Array;
  /** The hash of each slot's key. */
  #hashes: Int32Array;
  #arena: Uint8Array;
  /** The arena as a Buffer, to decode keys. */
  #text: Buffer;
  /** Where the next key's bytes go. */
  #tail = 0;
  /** Where the next key goes once the ring is full (the oldest slot). */
  #next = 0;
  #count = 0;
  /** `[slot + 1, hash]` per table position; 0 marks an empty position. */
  #table: Int32Array;
  #mask: number;

  constructor(size: number) {
    this.size = Math.max(1, Math.floor(size));
    const slots = Math.min(this.size, SLOT_STEP);
    this.#starts = new Int32Array(slots);
    this.#lengths = new Int32Array(slots);
    this.#hashes = new Int32Array(slots);
    this.#arena = new Uint8Array(FIRST_ARENA);
    this.#text = Buffer.from(this.#arena.buffer);
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
    this.#store(this.#takeSlot(), key);
  }

  /**
   * The table from the ring, after `push()`es. A key pushed twice (a compaction's `seen` record
   * and a live event's `add`) keeps only its newest slot, so evicting the older one later
   * cannot forget a key still inside the window.
   */
  rebuild(): void {
    const n = this.#slots;
    const oldest = n < this.size ? 0 : this.#next % n;
    const oldStarts = this.#starts;
    const oldLengths = this.#lengths;
    const capacity = powerOfTwoAtLeast(2 * n);
    this.#table = new Int32Array(2 * capacity);
    this.#mask = capacity - 1;
    // Indexed newest first while deduplicating (`#findBytes` reads the new slots), renumbered after.
    const starts = new Int32Array(Math.max(n, 1));
    const lengths = new Int32Array(Math.max(n, 1));
    const hashes = new Int32Array(Math.max(n, 1));
    this.#starts = starts;
    this.#lengths = lengths;
    let kept = 0;
    for (let i = n - 1; i >= 0; i -= 1) {
      const slot = (oldest + i) % n;
      const start = oldStarts[slot];
      if (start < 0) continue;
      const length = oldLengths[slot];
      const hash = this.#hashAt(start, length);
      if (this.#findBytes(start, length, hash) >= 0) continue;
      this.#insert(kept, hash);
      starts[kept] = start;
      lengths[kept] = length;
      hashes[kept] = hash;
      kept += 1;
    }
    const table = this.#table;
    for (let p = 0; p < table.length; p += 2) if (table[p] !== 0) table[p] = kept - table[p] + 1;
    // Oldest first again; `#takeSlot` grows the arrays when the ring fills further.
    this.#starts = starts.subarray(0, kept).reverse().slice();
    this.#lengths = lengths.subarray(0, kept).reverse().slice();
    this.#hashes = hashes.subarray(0, kept).reverse().slice();
    this.#slots = kept;
    this.#next = 0;
    this.#count = kept;
  }

  /** Forgets a key whose event could not be recorded (its slot is reused in turn). */
  delete(key: string): void {
    const position = this.#find(key, hashOf(key));
    if (position < 0) return;
    this.#starts[this.#table[position] - 1] = -1;
    this.#remove(position);
    this.#count -= 1;
  }

  /** Oldest first. */
  *keys(): IterableIterator<string> {
    const n = this.#slots;
    const oldest = n < this.size ? 0 : this.#next % n;
    for (let i = 0; i < n; i += 1) {
      const slot = (oldest + i) % n;
      if (this.#starts[slot] >= 0) yield this.#keyAt(slot);
    }
  }

  #keyAt(slot: number): string {
    const start = this.#starts[slot];
    const length = this.#lengths[slot];
    return length >= 0
      ? this.#text.toString('latin1', start, start + length)
      : this.#text.toString('utf16le', start, start - length);
  }

  /** Whether slot `slot` holds `key` (decoding it is faster than comparing byte by byte in JS). */
  #holds(slot: number, key: string): boolean {
    const length = this.#lengths[slot];
    return (length >= 0 ? length === key.length : -length === 2 * key.length) && this.#keyAt(slot) === key;
  }

  /** `hashOf` of the key stored at `start` with `length`. */
  #hashAt(start: number, length: number): number {
    const arena = this.#arena;
    let h = FNV_OFFSET;
    if (length >= 0) {
      for (let i = start; i < start + length; i += 1) {
        h ^= arena[i];
        h = Math.imul(h, 0x01000193);
      }
    } else {
      for (let i = start; i < start - length; i += 2) {
        h ^= arena[i] | (arena[i + 1] << 8);
        h = Math.imul(h, 0x01000193);
      }
    }
    return finish(h);
  }

  /** The table position (even index) holding `key`, or -1. */
  #find(key: string, hash: number): number {
    const table = this.#table;
    const mask = this.#mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const slot = table[2 * i];
      if (slot === 0) return -1;
      if (table[2 * i + 1] === hash && this.#holds(slot - 1, key)) return 2 * i;
    }
  }

  /** `#find` for a key already in the arena (the rebuild's duplicate check). */
  #findBytes(start: number, length: number, hash: number): number {
    const table = this.#table;
    const mask = this.#mask;
    const arena = this.#arena;
    const bytes = length >= 0 ? length : -length;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const slot = table[2 * i];
      if (slot === 0) return -1;
      if (table[2 * i + 1] !== hash || this.#lengths[slot - 1] !== length) continue;
      const other = this.#starts[slot - 1];
      let same = true;
      for (let b = 0; b < bytes && same; b += 1) same = arena[start + b] === arena[other + b];
      if (same) return 2 * i;
    }
  }

  /** The slot the next key goes in: a new one while the ring fills, else the oldest, emptied. */
  #takeSlot(): number {
    if (this.#slots < this.size) {
      if (this.#slots >= this.#starts.length) this.#growSlots();
      this.#slots += 1;
      return this.#slots - 1;
    }
    if (this.#next >= this.size) this.#next = 0;
    const slot = this.#next;
    this.#next += 1;
    this.#starts[slot] = -1;
    return slot;
  }

  /** Records a key known not to be in the window, evicting the oldest when it is full. */
  #append(key: string, hash: number): void {
    if (this.#slots < this.size) {
      if (2 * (this.#count + 1) > this.#mask + 1) this.#resize(this.#count + 1);
    } else {
      const slot = this.#next >= this.size ? 0 : this.#next;
      if (this.#starts[slot] >= 0) {
        this.#remove(this.#positionOf(slot, this.#hashes[slot]));
        this.#count -= 1;
      }
    }
    const slot = this.#takeSlot();
    this.#store(slot, key);
    this.#hashes[slot] = hash;
    this.#insert(slot, hash);
    this.#count += 1;
  }

  /** Writes `key`'s bytes at the arena's tail for `slot` (already emptied). */
  #store(slot: number, key: string): void {
    const wide = WIDE.test(key);
    const bytes = wide ? 2 * key.length : key.length;
    if (this.#tail + bytes > this.#arena.length) this.#makeRoom(bytes);
    const at = this.#tail;
    this.#text.write(key, at, wide ? 'utf16le' : 'latin1');
    this.#starts[slot] = at;
    this.#lengths[slot] = wide ? -bytes : bytes;
    this.#tail = at + bytes;
  }

  /**
   * Room for `bytes` more at the tail. Every live key lies in `[lowest start, tail)`, so that
   * range moves to the front (evicted keys' bytes are below it, as keys are stored oldest
   * first); into a bigger arena when it would be more than about two thirds full after.
   */
  #makeRoom(bytes: number): void {
    const starts = this.#starts;
    const n = this.#slots;
    let low = this.#tail;
    for (let slot = 0; slot < n; slot += 1) if (starts[slot] >= 0 && starts[slot] < low) low = starts[slot];
    const live = this.#tail - low;
    const need = live + bytes;
    if (need + (need >> 1) > this.#arena.length) {
      const grown = new Uint8Array(need + (need >> 1) + FIRST_ARENA);
      grown.set(this.#arena.subarray(low, this.#tail));
      this.#arena = grown;
      this.#text = Buffer.from(grown.buffer);
    } else {
      this.#arena.copyWithin(0, low, this.#tail);
    }
    for (let slot = 0; slot < n; slot += 1) if (starts[slot] >= 0) starts[slot] -= low;
    this.#tail = live;
  }

  #growSlots(): void {
    const length = Math.min(this.size, Math.max(SLOT_STEP, 2 * this.#starts.length));
    const grow = (old: Int32Array) => {
      const grown = new Int32Array(length);
      grown.set(old);
      return grown;
    };
    this.#starts = grow(this.#starts);
    this.#lengths = grow(this.#lengths);
    this.#hashes = grow(this.#hashes);
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
