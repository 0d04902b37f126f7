/** The outbox's id index (entry-index.ts) behaves as a Map of id -> entry, whatever the ids look like. */
import { expect, it } from 'vitest';
import { EntryIndex } from '../src/outbox/entry-index.js';

it('agrees with a Map over a random mix of sets, deletes and gets, including odd ids', () => {
  const index = new EntryIndex<{ id: string }>();
  const map = new Map<string, { id: string }>();
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const ids = (i: number) =>
    [`mabc-${i.toString(36)}`, `mabd-${i.toString(36)}`, `x-0${i}`, `plain${i}`, `a-b-${(i * 70_000).toString(36)}`][
      i % 5
    ];
  for (let step = 0; step < 20_000; step += 1) {
    const id = ids(random(3000));
    const op = random(3);
    if (op === 0) {
      const value = { id };
      index.set(id, value);
      map.set(id, value);
    } else if (op === 1) expect(index.delete(id)).toBe(map.delete(id));
    expect(index.get(id)).toBe(map.get(id));
    expect(index.size).toBe(map.size);
  }
  expect(new Set(index.values())).toEqual(new Set(map.values()));
});

it('drops a base’s emptied front as events are delivered oldest first, and still finds the rest', () => {
  const index = new EntryIndex<{ id: string }>();
  for (let i = 0; i < 10_000; i += 1) index.set(`base-${i.toString(36)}`, { id: `base-${i.toString(36)}` });
  for (let i = 0; i < 9_000; i += 1) expect(index.delete(`base-${i.toString(36)}`)).toBe(true);
  expect(index.size).toBe(1000);
  expect(index.get(`base-${(9_500).toString(36)}`)?.id).toBe(`base-${(9_500).toString(36)}`);
  // An older seq coming back (a retried dead letter) is still kept.
  index.set('base-5', { id: 'base-5' });
  expect(index.get('base-5')?.id).toBe('base-5');
  expect([...index.values()]).toHaveLength(1001);
});

it('turns a replayed row into its entry once, on get or values, and shows the row only through raw', () => {
  const made: number[] = [];
  const index = new EntryIndex<{ id: string; row: number }>((row) => {
    made.push(row);
    return { id: `r-${row.toString(36)}`, row };
  });
  expect(index.setRow('r-1', 1)).toBe(true);
  expect(index.setRow('r-2', 2)).toBe(true);
  // An id without a seq has no bucket slot: the caller makes the entry itself.
  expect(index.setRow('plain', 3)).toBe(false);
  expect(index.size).toBe(2);
  expect(index.raw('r-1')).toBe(1);
  const first = index.get('r-1');
  expect(first).toEqual({ id: 'r-1', row: 1 });
  expect(index.get('r-1')).toBe(first);
  expect(index.raw('r-1')).toBe(first);
  expect([...index.values()].map((e) => e.id)).toEqual(['r-1', 'r-2']);
  expect(made).toEqual([1, 2]);
  expect(index.delete('r-2')).toBe(true);
  expect(index.raw('r-2')).toBeUndefined();
});
