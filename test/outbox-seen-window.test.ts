/**
 * The dedupe window (seen-window.ts) behaves exactly as the Set-and-ring window it replaced,
 * kept here as the model: same answers, same keys in the same order, through adds, deletes,
 * evictions, replays with duplicate keys, and tables small enough that probe runs collide.
 */
import { describe, expect, it } from 'vitest';
import { SeenWindow } from '../src/outbox/seen-window.js';

/** The previous implementation: a Set beside a ring of keys (one fix, in `delete`). */
class ModelWindow {
  readonly size: number;
  ring: Array<string | undefined> = [];
  next = 0;
  set = new Set<string>();
  constructor(size: number) {
    this.size = size;
  }
  addIfNew(key: string): boolean {
    if (this.set.has(key)) return false;
    this.set.add(key);
    if (this.ring.length < this.size) {
      this.ring.push(key);
      return true;
    }
    if (this.next >= this.size) this.next = 0;
    const evicted = this.ring[this.next];
    if (evicted !== undefined) this.set.delete(evicted);
    this.ring[this.next] = key;
    this.next += 1;
    return true;
  }
  push(key: string): void {
    if (this.ring.length < this.size) this.ring.push(key);
    else {
      if (this.next >= this.size) this.next = 0;
      this.ring[this.next] = key;
      this.next += 1;
    }
  }
  rebuild(): void {
    this.set.clear();
    const n = this.ring.length;
    const oldest = n < this.size ? 0 : this.next % n;
    const kept: string[] = [];
    for (let i = n - 1; i >= 0; i -= 1) {
      const key = this.ring[(oldest + i) % n];
      if (key === undefined || this.set.has(key)) continue;
      this.set.add(key);
      kept.push(key);
    }
    this.ring = kept.reverse();
    this.next = 0;
  }
  delete(key: string): void {
    // The one change from the old code: its slot is emptied too. The old window left the key in
    // its slot, so after the key came back in a newer slot, evicting the stale one forgot it early.
    if (this.set.delete(key)) this.ring[this.ring.indexOf(key)] = undefined;
  }
  keys(): string[] {
    const n = this.ring.length;
    const oldest = n < this.size ? 0 : this.next % n;
    const out: string[] = [];
    for (let i = 0; i < n; i += 1) {
      const key = this.ring[(oldest + i) % n];
      if (key !== undefined && this.set.has(key)) out.push(key);
    }
    return out;
  }
}

function lcg(seed: number) {
  return (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
}

describe('SeenWindow', () => {
  for (const size of [1, 2, 7, 64, 1500]) {
    it(`agrees with the Set-and-ring model over random adds, deletes and replays (size ${size})`, () => {
      const random = lcg(size * 31 + 1);
      const universe = size * 3 + 5;
      // Latin1 keys (one byte a character in the arena), keys past U+00FF (UTF-16 there, a lone
      // surrogate too), the empty key, and long keys that make the arena grow and compact often.
      const shapes = [
        (i: number) => `message:ev-${i}:`,
        (i: number) => `s${i}`,
        (i: number) => `status:é${i}:read`,
        (i: number) => `message:✓${i}:`,
        (i: number) => `message:😀${i}\ud800:`,
        (i: number) => (i % 3 === 0 ? '' : `x${i}`),
        (i: number) => `message_status:wamid.${'HBgLMTY1MDM4NzQzMjEVAgARGBI3NUQ2'.repeat(1 + (i % 9))}${i}:read`,
      ];
      const keyOf = (i: number) => shapes[i % shapes.length](i);
      const window = new SeenWindow(size);
      const model = new ModelWindow(size);
      // A replay first: pushes with duplicates, then the rebuild.
      for (let i = 0; i < size * 4; i += 1) {
        const key = keyOf(random(universe));
        window.push(key);
        model.push(key);
      }
      window.rebuild();
      model.rebuild();
      expect([...window.keys()]).toEqual(model.keys());
      for (let step = 0; step < 20_000; step += 1) {
        const key = keyOf(random(universe));
        const op = random(10);
        if (op < 7) expect(window.addIfNew(key)).toBe(model.addIfNew(key));
        else if (op < 8) {
          window.delete(key);
          model.delete(key);
        }
        expect(window.has(key)).toBe(model.set.has(key));
        expect(window.count).toBe(model.set.size);
      }
      expect([...window.keys()]).toEqual(model.keys());
      for (const key of model.keys()) expect(window.has(key)).toBe(true);
    });
  }

  it('holds 100,000 keys, forgets exactly the oldest, and keeps answering after many evictions', () => {
    const window = new SeenWindow(100_000);
    let fresh = 0;
    for (let i = 0; i < 350_000; i += 1) if (window.addIfNew(`message:ev-${i}:`)) fresh += 1;
    expect(fresh).toBe(350_000);
    expect(window.count).toBe(100_000);
    expect(window.has('message:ev-249999:')).toBe(false);
    expect(window.has('message:ev-250000:')).toBe(true);
    expect(window.addIfNew('message:ev-349999:')).toBe(false);
    const keys = [...window.keys()];
    expect(keys[0]).toBe('message:ev-250000:');
    expect(keys.at(-1)).toBe('message:ev-349999:');
  });

  it('a key forgotten after a failed write and seen again is kept for a whole window', () => {
    const window = new SeenWindow(3);
    window.addIfNew('a');
    window.addIfNew('b');
    window.delete('a');
    expect(window.addIfNew('a')).toBe(true);
    // 'c' takes the slot 'a' first had; that must not forget the 'a' seen since.
    window.addIfNew('c');
    window.addIfNew('d');
    expect(window.has('a')).toBe(true);
    expect([...window.keys()]).toEqual(['a', 'c', 'd']);
  });
});
