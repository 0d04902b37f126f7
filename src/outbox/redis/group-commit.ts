/**
 * Group commit: items handed in while a write is under way go together in the next write (one
 * round trip and one AOF fsync in Redis for all of them), and each caller still hears only once
 * its own items are written. A failed write fails every caller of that write.
 */
export class GroupCommit<T, R> {
  #write: (items: T[]) => Promise<R[]>;
  #queued: Array<{ items: readonly T[]; resolve: (results: R[]) => void; reject: (error: unknown) => void }> = [];
  #writing = false;

  /** `write` must return one result per item, in order. */
  constructor(write: (items: T[]) => Promise<R[]>) {
    this.#write = write;
  }

  add(items: readonly T[]): Promise<R[]> {
    return new Promise((resolve, reject) => {
      this.#queued.push({ items, resolve, reject });
      if (this.#queued.length === 1 && !this.#writing) setImmediate(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    this.#writing = true;
    const waiting = this.#queued.splice(0);
    try {
      const results = await this.#write(waiting.flatMap((w) => w.items));
      let offset = 0;
      for (const w of waiting) {
        w.resolve(results.slice(offset, offset + w.items.length));
        offset += w.items.length;
      }
    } catch (error) {
      for (const w of waiting) w.reject(error);
    } finally {
      this.#writing = false;
      if (this.#queued.length > 0) setImmediate(() => void this.#flush());
    }
  }
}
