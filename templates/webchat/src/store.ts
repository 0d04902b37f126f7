/**
 * Conversations, kept for a visitor who comes back: one JSON file per visitor under the state
 * folder, bounded to the last `limit` messages, written atomically (temp file + rename, 0600)
 * and one write at a time per visitor. A corrupt file is set aside, never fatal.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Message } from 'custom-channel';

export type Status = 'sent' | 'delivered' | 'read';
export const RANK: Record<Status, number> = { sent: 1, delivered: 2, read: 3 };

export interface Entry {
  mId: string;
  from: 'visitor' | 'business';
  message: Message;
  /** Epoch milliseconds. */
  at: number;
  /** Business messages only: how far the visitor's page got. */
  status?: Status;
}

interface Conversation {
  visitorId: string;
  messages: Entry[];
}

/** Loaded conversations kept in memory (the files are the truth). */
const CACHE_LIMIT = 1000;

export class ConversationStore {
  readonly #cache = new Map<string, Conversation>();
  readonly #chains = new Map<string, Promise<unknown>>();

  constructor(
    readonly dir: string,
    readonly limit: number,
    private readonly warn: (msg: string, data?: Record<string, unknown>) => void = () => {},
  ) {}

  /** Visitor IDs may hold `/`, `+`, `=`: the file is named after a hash. */
  fileOf(visitorId: string): string {
    return join(this.dir, `${createHash('sha256').update(visitorId).digest('hex').slice(0, 32)}.json`);
  }

  async #load(visitorId: string): Promise<Conversation> {
    const cached = this.#cache.get(visitorId);
    if (cached) return cached;
    const file = this.fileOf(visitorId);
    let conversation: Conversation = { visitorId, messages: [] };
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Conversation;
      if (parsed?.visitorId !== visitorId || !Array.isArray(parsed.messages)) throw new Error('unexpected shape');
      conversation = parsed;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        this.warn('webchat conversation file unreadable: set aside, starting empty', { file, error: String(error) });
        await rename(file, `${file}.corrupt-${Date.now()}`).catch(() => {});
      }
    }
    this.#cache.set(visitorId, conversation);
    if (this.#cache.size > CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value as string);
    return conversation;
  }

  async #save(conversation: Conversation): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.fileOf(conversation.visitorId);
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(conversation), { mode: 0o600 });
    await rename(temp, file);
  }

  /** Runs `fn` after the visitor's previous change: no lost updates between concurrent requests. */
  #serial<T>(visitorId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#chains.get(visitorId) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const settled = next.catch(() => {});
    this.#chains.set(visitorId, settled);
    void settled.then(() => {
      if (this.#chains.get(visitorId) === settled) this.#chains.delete(visitorId);
    });
    return next;
  }

  /** The visitor's messages, oldest first (a copy). */
  list(visitorId: string): Promise<Entry[]> {
    return this.#serial(visitorId, async () => [...(await this.#load(visitorId)).messages]);
  }

  /** Adds a message; the oldest beyond `limit` are dropped. */
  append(visitorId: string, entry: Entry): Promise<void> {
    return this.#serial(visitorId, async () => {
      const conversation = await this.#load(visitorId);
      conversation.messages.push(entry);
      if (conversation.messages.length > this.limit)
        conversation.messages.splice(0, conversation.messages.length - this.limit);
      await this.#save(conversation);
    });
  }

  /**
   * Moves a business message's status forward. Returns the status it had, or undefined when the
   * message is unknown, not the business's, or already at or past `status` (nothing to report).
   */
  advance(visitorId: string, mId: string, status: Status): Promise<Status | undefined> {
    return this.#serial(visitorId, async () => {
      const conversation = await this.#load(visitorId);
      const entry = conversation.messages.find((m) => m.mId === mId && m.from === 'business');
      const previous = entry?.status ?? 'sent';
      if (!entry || RANK[status] <= RANK[previous]) return undefined;
      entry.status = status;
      await this.#save(conversation);
      return previous;
    });
  }
}
