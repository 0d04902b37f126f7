/**
 * A cleanup registry for tests that start servers, processes and temp folders: cleanups run
 * in reverse order after each test (or after the file), and one failing does not skip the rest.
 */
import { afterAll, afterEach } from 'vitest';

export type Cleanup = () => unknown;

/** Registers the hook; returns `defer(cleanup)`. */
export function useCleanups(when: 'each' | 'all' = 'each'): (cleanup: Cleanup) => void {
  const cleanups: Cleanup[] = [];
  (when === 'each' ? afterEach : afterAll)(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await Promise.resolve()
        .then(cleanup)
        .catch(() => {});
    }
  });
  return (cleanup) => {
    cleanups.push(cleanup);
  };
}
