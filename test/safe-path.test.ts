/** Dot paths never reach Object.prototype: `simulate --override` and the provider stub's `set`. */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import { getPath, setPath, unsetPath } from '../src/provider-stub/fill.js';
import { loadStubManifest } from '../src/provider-stub/manifest.js';
import { applyOverrides, parseOverride } from '../src/simulate/placeholders.js';
import { runCli } from './support/cli.js';

const polluted = () => ({}) as Record<string, unknown>;

afterEach(() => {
  // Were a test to fail by polluting, the next ones must not inherit it.
  for (const key of ['x', 'polluted', 'y']) delete (Object.prototype as Record<string, unknown>)[key];
});

describe('simulate --override', () => {
  it.each([
    '__proto__.x=1',
    'constructor.prototype.x=1',
    'message.__proto__.x=1',
    'events[0].constructor.prototype.x=1',
  ])('refuses %s with a usage error naming the key', (raw) => {
    let error: unknown;
    try {
      parseOverride(raw);
    } catch (caught) {
      error = caught;
    }
    // A path the parser does not accept at all is refused too; either way nothing is written.
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    expect(polluted().x).toBeUndefined();
  });

  it('applyOverrides refuses a forbidden path even when handed one directly', () => {
    expect(() => applyOverrides({ a: 1 }, [{ path: ['__proto__', 'x'], value: 1, raw: '' }])).toThrow(/__proto__/);
    expect(() => applyOverrides({ a: 1 }, [{ path: ['constructor', 'prototype', 'y'], value: 1, raw: '' }])).toThrow(
      /constructor/,
    );
    expect(polluted().x).toBeUndefined();
    expect(polluted().y).toBeUndefined();
    expect(applyOverrides({ message: { text: 'a' } }, [parseOverride('message.text=b')])).toEqual({
      message: { text: 'b' },
    });
  });

  it('the bin exits 2 for --override __proto__.x=1 and says why', async () => {
    const { code, stderr } = await runCli([
      'simulate',
      'outbound/text',
      '--target',
      'http://127.0.0.1:9',
      '--token',
      'x',
      '--override',
      '__proto__.x=1',
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/error: --override "__proto__\.x=1": "__proto__" is not allowed in a path/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('provider stub paths', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('setPath, unsetPath and getPath refuse prototype keys', () => {
    expect(() => setPath({}, '__proto__.polluted', true)).toThrow(/__proto__/);
    expect(() => setPath({}, 'constructor.prototype.polluted', true)).toThrow(/constructor/);
    expect(() => unsetPath({}, '__proto__.toString')).toThrow(/__proto__/);
    expect(() => getPath({}, 'a.__proto__')).toThrow(/__proto__/);
    expect(polluted().polluted).toBeUndefined();
    const target = { a: { b: 1 } };
    setPath(target, 'a.c.0', 'x');
    expect(target).toEqual({ a: { b: 1, c: ['x'] } });
  });

  it('a manifest whose `set` names __proto__ is refused at load, naming the field', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cc-stub-proto-'));
    // The ClickSend stand-in, with one hostile `set` path in its inbound push.
    await cp(join(import.meta.dirname, '../templates/clicksend-sms/fixtures'), join(dir, 'fixtures'), {
      recursive: true,
    });
    const file = join(dir, 'fixtures', 'provider-stub.json');
    const manifest = JSON.parse(await readFile(file, 'utf8'));
    manifest.inbound.set['__proto__.polluted'] = 'yes';
    await writeFile(file, JSON.stringify(manifest));
    expect(() => loadStubManifest(dir as string)).toThrow(/not allowed in a path/);
    expect(polluted().polluted).toBeUndefined();
  });
});
