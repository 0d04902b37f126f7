/**
 * `send` on a terminal shows a live "waiting for delivered, read (3 s / 10 s)" line; in a pipe
 * (and under --json) it writes none of it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLiveLine, waitingText } from '../src/ui/live-line.js';
import { BIN, runCli } from './support/cli.js';

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (text: string) => chunks.push(text) } as unknown as NodeJS.WriteStream };
}

describe('live line', () => {
  it.each([
    [['sent', 'delivered', 'read'], [], 3200, 'waiting for sent, delivered, read (3 s / 10 s)'],
    [['sent', 'delivered', 'read'], ['sent'], 0, 'waiting for delivered, read (0 s / 10 s)'],
    [['sent'], ['sent'], 500, undefined],
  ])('%j seen %j -> %s', (expect_, seen, elapsed, text) => {
    expect(waitingText(expect_, new Set(seen), elapsed, 10_000)).toBe(text);
  });

  it('rewrites itself in place on a terminal and writes nothing elsewhere', () => {
    const tty = fakeStream(true);
    const line = createLiveLine(tty.stream, true);
    line.set('waiting a');
    line.print(() => tty.chunks.push('hop\n'));
    line.set('waiting b');
    line.stop();
    expect(tty.chunks).toEqual(['waiting a', '\r\x1b[2K', 'hop\n', 'waiting a', '\r\x1b[2K', 'waiting b', '\r\x1b[2K']);
    for (const [isTTY, enabled] of [
      [false, true],
      [true, false],
    ]) {
      const other = fakeStream(isTTY);
      const quiet = createLiveLine(other.stream, enabled);
      quiet.set('waiting');
      quiet.print(() => other.chunks.push('hop\n'));
      quiet.stop();
      expect(other.chunks).toEqual(['hop\n']);
    }
  });
});

const hasScript = spawnSync('script', ['--version']).status === 0;
let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'cc-live-line-'));
  const init = await runCli(['init', join(folder, 'p'), '--yes', '--no-install'], {
    env: { XDG_CONFIG_HOME: join(folder, 'xdg') },
  });
  expect(init.code, init.stderr).toBe(0);
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('send', () => {
  const args = ['send', 'hi', '--to', '+60177872890', '--expect', 'sent,delivered,read'];
  const env = () => ({ XDG_CONFIG_HOME: join(folder, 'xdg') });

  it.skipIf(!hasScript)('on a terminal shows the waiting line', () => {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
    const out = execFileSync('script', ['-q', '-c', command, '/dev/null'], {
      cwd: join(folder, 'p'),
      env: { ...process.env, NO_COLOR: '1', ...env() },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(out).toContain('waiting for sent, delivered, read (0 s / 10 s)');
    expect(out).toContain('\r\x1b[2K');
    expect(out).toMatch(/all arrived/);
  });

  it('in a pipe and under --json writes no waiting line', async () => {
    for (const extra of [[], ['--json']]) {
      const run = await runCli([...args, ...extra], { cwd: join(folder, 'p'), env: env(), timeoutMs: 30_000 });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout + run.stderr).not.toContain('waiting for');
      expect(run.stdout).not.toContain('\x1b[2K');
    }
  });
});
