/**
 * The project's adapter, reloaded from source on the first request after an edit. The bridge
 * asks for the adapter per request, so queued outbox events and open connections survive a
 * reload; a broken edit keeps the last good adapter and reports the error.
 */
import { type FSWatcher, statSync, watch } from 'node:fs';
import { dirname, sep } from 'node:path';
import type { Adapter } from '../bridge/adapter.js';
import { messageOf } from '../errors.js';

export type ReloadEvent = { ok: true; name: string; durationMs: number } | { ok: false; error: string };

export interface AdapterReloaderOptions {
  adapterPath: string;
  /** Folder watched for edits to the adapter and the modules it imports (default: the adapter's folder). */
  watchDir?: string;
  /** Loads the adapter fresh (default: `loadAdapter` from the project module, via jiti). */
  load?: (path: string) => Promise<Adapter>;
  onReload?: (event: ReloadEvent) => void;
}

export interface AdapterReloader {
  /** The adapter for the next request, reloaded first when a watched file changed. */
  get(): Promise<Adapter>;
  /** The adapter loaded last (no reload check). */
  readonly current: Adapter;
  close(): void;
}

function stamp(path: string): string {
  try {
    const stats = statSync(path);
    return `${stats.mtimeMs}:${stats.size}`;
  } catch {
    return 'missing';
  }
}

/** State and journal writes happen under these; they are not code. */
const IGNORED = ['node_modules', '.custom-channel', '.git'];

/**
 * Loads the adapter once and watches its folder.
 * @example const adapters = await startAdapterReloader({ adapterPath: project.adapterPath }); buildBridge({ adapter: () => adapters.get() })
 */
export async function startAdapterReloader(options: AdapterReloaderOptions): Promise<AdapterReloader> {
  const load = options.load ?? (async (path: string) => (await import('../project.js')).loadAdapter(path));
  let adapterStamp = stamp(options.adapterPath);
  let current = await load(options.adapterPath);
  // Bumped by the watcher; the entry file's mtime is checked too, because a request can
  // arrive before the watcher's event for an edit made just before it.
  let changes = 0;
  let loadedChanges = 0;
  let reloading: Promise<Adapter> | undefined;

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(options.watchDir ?? dirname(options.adapterPath), { recursive: true }, (_event, file) => {
      const name = file?.toString() ?? '';
      if (
        IGNORED.some(
          (part) => name === part || name.startsWith(`${part}${sep}`) || name.includes(`${sep}${part}${sep}`),
        )
      )
        return;
      changes += 1;
    });
    watcher.on('error', () => {
      // A vanished folder must not crash dev; the mtime check still covers the entry file.
    });
  } catch {
    watcher = undefined;
  }

  async function reload(): Promise<Adapter> {
    const started = Date.now();
    const target = changes;
    const targetStamp = stamp(options.adapterPath);
    try {
      const next = await load(options.adapterPath);
      current = next;
      options.onReload?.({ ok: true, name: next.name, durationMs: Date.now() - started });
    } catch (error) {
      options.onReload?.({ ok: false, error: messageOf(error) });
    }
    // A failed load is not retried until the next edit: the last good adapter keeps serving.
    loadedChanges = target;
    adapterStamp = targetStamp;
    return current;
  }

  return {
    get current() {
      return current;
    },
    async get() {
      while (reloading) await reloading;
      if (changes === loadedChanges && stamp(options.adapterPath) === adapterStamp) return current;
      reloading = reload().finally(() => {
        reloading = undefined;
      });
      return reloading;
    },
    close() {
      watcher?.close();
    },
  };
}
