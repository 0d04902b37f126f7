/**
 * Shared deadline timers: a deadline fires once its time has passed (at most a slot later), a
 * cancelled one never fires, and a cancelled deadline does not hold the process open.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { atDeadline, cancelDeadline } from '../src/lib/deadline-slots.js';

const expiry = (ms: number) => {
  const started = performance.now();
  return new Promise<number>((resolve) => {
    atDeadline(ms, { expire: () => resolve(performance.now() - started) });
  });
};

describe('deadline slots', () => {
  it('fires each deadline after its time, deadlines of one slot together', async () => {
    const [a, b] = await Promise.all([expiry(40), expiry(41)]);
    for (const elapsed of [a, b]) {
      expect(elapsed).toBeGreaterThanOrEqual(39);
      expect(elapsed).toBeLessThan(40 + 10 + 200);
    }
  });

  it('never fires a cancelled deadline', async () => {
    let fired = 0;
    const member = { expire: () => (fired += 1) };
    cancelDeadline(atDeadline(20, member), member);
    await expiry(60);
    expect(fired).toBe(0);
  });

  it('lets the process exit while only cancelled deadlines remain', () => {
    const module = fileURLToPath(new URL('../dist/lib/deadline-slots.js', import.meta.url));
    const script = `const { atDeadline, cancelDeadline } = await import(${JSON.stringify(module)});
      const member = { expire() { process.exitCode = 3; } };
      cancelDeadline(atDeadline(5000, member), member);`;
    const started = performance.now();
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(performance.now() - started).toBeLessThan(4000);
  });
});
