/**
 * Optional persistence: contacts and messages in one JSON file, written shortly after each
 * change (coalesced) and on close, so a restart keeps conversations. Events are not kept.
 */
import { readFile } from 'node:fs/promises';
import { CliError } from '../errors.js';
import { writePrivateFile } from '../secrets.js';
import type { EmulatorStore, StoreSnapshot } from './store.js';

const WRITE_DELAY_MS = 100;

export interface Persistence {
  /** Writes what is pending; idempotent. */
  close(): Promise<void>;
}

/** Loads `file` into the store when it exists, then saves every change to it. */
export async function startPersistence(store: EmulatorStore, file: string): Promise<Persistence> {
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    let snapshot: StoreSnapshot;
    try {
      snapshot = JSON.parse(text) as StoreSnapshot;
      if (!Array.isArray(snapshot.contacts) || !Array.isArray(snapshot.messages)) throw new Error('bad shape');
    } catch {
      throw new CliError(`${file} is not an emulator state file`, { hint: 'delete it to start with an empty state' });
    }
    store.restore(snapshot);
  }
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  const write = () => {
    timer = undefined;
    let content: string;
    try {
      content = JSON.stringify(store.snapshot());
    } catch {
      // Unserialisable state (intake limits JSON depth, so this is a bug): keep running, not crash.
      return writing;
    }
    writing = writing
      .then(() => writePrivateFile(file, content))
      .catch(() => {
        // A failed write is retried with the next change; the emulator keeps running.
      });
    return writing;
  };
  store.onChange = () => {
    timer ??= setTimeout(write, WRITE_DELAY_MS);
  };
  return {
    async close() {
      store.onChange = undefined;
      if (timer) {
        clearTimeout(timer);
        await write();
      }
      await writing;
    },
  };
}
