/**
 * The file send queue's view of each contact: its line of pending sends in arrival order (`seq`),
 * and what keeps its head from going now (a send of it retrying inside `/message`, one being
 * journaled, one being tried). A new message for a `busy` contact must queue behind them.
 */
import type { QueuedSend } from './types.js';

/** A multiset of contact ids: `add` twice, `delete` twice. */
class Counts {
  #counts = new Map<string, number>();

  add(key: string): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  delete(key: string): void {
    const left = (this.#counts.get(key) ?? 1) - 1;
    if (left > 0) this.#counts.set(key, left);
    else this.#counts.delete(key);
  }

  has(key: string): boolean {
    return this.#counts.has(key);
  }
}

export class ContactLines {
  #lines = new Map<string, QueuedSend[]>();
  /** Sends of `/message` retrying within its answer budget. */
  readonly held = new Counts();
  /** Sends being written to the journal. */
  readonly staging = new Counts();
  /** Contacts whose head is being tried or given up. */
  readonly working = new Set<string>();

  /** Places `send` in its contact's line by arrival order. */
  insert(send: QueuedSend): void {
    let line = this.#lines.get(send.contactId);
    if (!line) {
      line = [];
      this.#lines.set(send.contactId, line);
    }
    let at = line.length;
    while (at > 0 && line[at - 1].seq > send.seq) at -= 1;
    line.splice(at, 0, send);
  }

  remove(send: QueuedSend): void {
    const line = this.#lines.get(send.contactId);
    const at = line?.indexOf(send) ?? -1;
    if (line && at >= 0) line.splice(at, 1);
  }

  /** The contact's next send; a contact with none is forgotten. */
  head(contact: string): QueuedSend | undefined {
    const head = this.#lines.get(contact)?.[0];
    if (!head) this.#lines.delete(contact);
    return head;
  }

  contacts(): IterableIterator<string> {
    return this.#lines.keys();
  }

  /** The head may not go now: held by `/message`, or already being worked on. */
  blocked(contact: string): boolean {
    return this.held.has(contact) || this.working.has(contact);
  }

  /** A new send of `contact` must queue behind what it already has. */
  busy(contact: string): boolean {
    return (
      (this.#lines.get(contact)?.length ?? 0) > 0 ||
      this.held.has(contact) ||
      this.staging.has(contact) ||
      this.working.has(contact)
    );
  }
}
