import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { withTimeout } from '../src/lib/timeout.js';

const CHILD = fileURLToPath(new URL('./support/gc-timeout-child.mjs', import.meta.url));

describe('withTimeout', () => {
  it('aborts with a TimeoutError after the delay', async () => {
    const deadline = withTimeout(undefined, 20);
    await new Promise((resolve) => deadline.signal.addEventListener('abort', resolve));
    expect((deadline.signal.reason as Error).name).toBe('TimeoutError');
    expect((deadline.signal.reason as Error).message).toBe('no answer within 20 ms (timeout)');
  });

  it('follows its parent, with the parent reason, and lets go of it once cleared', async () => {
    const parent = new AbortController();
    const deadline = withTimeout(parent.signal, 10_000);
    parent.abort(new Error('shutting down'));
    expect(deadline.signal.aborted).toBe(true);
    expect((deadline.signal.reason as Error).message).toBe('shutting down');

    const already = withTimeout(parent.signal, 10_000);
    expect(already.signal.aborted).toBe(true);

    const other = new AbortController();
    const cleared = withTimeout(other.signal, 20);
    cleared.clear();
    other.abort();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(cleared.signal.aborted).toBe(false);
  });
});

// AbortSignal.any() holds AbortSignal.timeout() weakly: after a GC it never fired (issue 13).
describe('a call to a server that never answers times out while garbage is collected', () => {
  for (const mode of ['deliver', 'emulator'] as const) {
    it(`${mode === 'deliver' ? "the bridge's webhook delivery" : "the emulator's /message call"} (node --expose-gc)`, async () => {
      const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', CHILD, mode], {
        timeout: 25_000,
      });
      const result = JSON.parse(stdout.trim()) as { fired: boolean; ms: number; error: string | null };
      expect(result.fired).toBe(true);
      expect(result.error).toMatch(/within 300 ms \(timeout\)/);
      expect(result.ms).toBeLessThan(3000);
    });
  }
});
