/** The session file dev publishes: private, atomic, ignored when stale or corrupt. */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DevSessionInfo,
  inspectorHeaders,
  publishSession,
  readSessionFile,
  removeSessionFile,
  SESSION_FILE,
} from '../src/dev/session-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cc-session-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const info = (pid = process.pid): DevSessionInfo => ({
  version: 1,
  pid,
  startedAt: Date.now(),
  project: '/p',
  mode: 'emulator',
  bridgeUrl: 'http://127.0.0.1:1',
  emulatorUrl: 'http://127.0.0.1:2',
  inspectorUrl: 'http://127.0.0.1:3/',
  inspectorSecret: 's3cret',
  channel: { channelId: 'c1', token: 'tok', idType: 'phone' },
  providerEnv: { PROVIDER_WEBHOOK_SECRET: 'whsec' },
});

describe('session file', () => {
  it('is written 0600 with no temp file left, read back, and removed by its publisher', async () => {
    const unpublish = await publishSession(dir, info());
    expect(statSync(join(dir, SESSION_FILE)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual([SESSION_FILE]);
    expect(readSessionFile(dir)).toMatchObject({
      bridgeUrl: 'http://127.0.0.1:1',
      providerEnv: { PROVIDER_WEBHOOK_SECRET: 'whsec' },
    });
    unpublish();
    expect(existsSync(join(dir, SESSION_FILE))).toBe(false);
  });

  it('is ignored when its process is gone (dev killed with -9)', async () => {
    await publishSession(dir, info(2_147_483_646));
    expect(readSessionFile(dir)).toBeUndefined();
    expect(readSessionFile(dir, () => true)).toBeDefined();
  });

  it.each([['{not json'], ['{"version":2}'], ['']])('is ignored when corrupt: %j', (content) => {
    writeFileSync(join(dir, SESSION_FILE), content);
    expect(readSessionFile(dir)).toBeUndefined();
  });

  it("is not removed by another process's exit (a newer dev replaced it)", async () => {
    await publishSession(dir, info());
    removeSessionFile(dir, process.pid + 1);
    expect(existsSync(join(dir, SESSION_FILE))).toBe(true);
  });

  it('names the inspector credential as a bearer header', () => {
    expect(inspectorHeaders(info())).toEqual({ authorization: 'Bearer s3cret' });
    expect(inspectorHeaders({})).toEqual({});
  });
});
