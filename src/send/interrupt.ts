/**
 * Ctrl-C during `send`, `simulate` or `demo`: close the servers this process started and
 * remove their temp folders, then exit 130. Services register cleanups; commands install the
 * handler (libraries embedding the services keep their own signal handling).
 */
import { ExitCode } from '../errors.js';

const cleanups = new Set<() => Promise<unknown>>();

/** Registers a cleanup for an interrupt; returns the function that unregisters it. */
export function onInterruptCleanup(cleanup: () => Promise<unknown>): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/**
 * Installs the SIGINT/SIGTERM handler for a command's run; returns its removal.
 * @example const remove = installInterruptHandler(); try { await runDemo() } finally { remove() }
 */
export function installInterruptHandler(graceMs = 2000): () => void {
  const handler = async (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.failure;
    // Never hang on the way out: a stuck close gets the grace period, then we leave anyway.
    setTimeout(() => process.exit(code), graceMs).unref();
    await Promise.allSettled([...cleanups].map((cleanup) => cleanup()));
    process.exit(code);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
