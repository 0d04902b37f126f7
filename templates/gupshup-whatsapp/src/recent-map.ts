/** A Map that forgets its oldest entries beyond `limit`, so a long-running server stays small. */
export class RecentMap<V> {
  readonly #entries = new Map<string, V>();
  constructor(readonly limit: number) {}

  remember(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.limit) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  get(key: string): V | undefined {
    return this.#entries.get(key);
  }

  forget(key: string): void {
    this.#entries.delete(key);
  }
}
