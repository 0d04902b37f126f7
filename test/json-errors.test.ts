/**
 * Errors a script can read: under --json every failure is `{"error":{"message","hint"}}` on
 * stdout besides the exit code; `validate` names the real line and column of a JSON error.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonText } from '../src/input.js';
import { locateJsonError } from '../src/lib/json-locate.js';
import { runCli } from './support/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cc-json-errors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('JSON error location', () => {
  it.each([
    ['{"a": x}', 1, 7, "unexpected 'x'"],
    ['{"a": 1', 1, 8, 'end of input'],
    ['{\n  "a": 1,\n}', 3, 1, 'property name'],
    ['[1, 2', 1, 6, 'end of input'],
    ['{"a": "b\nc"}', 1, 9, 'control character'],
    ['{"a": 1} x', 1, 10, 'after the JSON value'],
    ['', 1, 1, 'end of input'],
    ['{"a": -}', 1, 7, "unexpected '-'"],
  ])('%j -> line %i, column %i', (text, line, column, reason) => {
    expect(() => parseJsonText(text, 'f.json')).toThrow(`f.json: invalid JSON at line ${line}, column ${column}:`);
    try {
      parseJsonText(text, 'f.json');
    } catch (error) {
      expect((error as Error).message).toContain(reason);
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('finds nothing wrong in valid JSON', () => {
    expect(locateJsonError('{"a": [1, 2.5e3, true, null, "\\u00e9"]}')).toBeUndefined();
  });
});

describe('--json errors', () => {
  it('validate: a JSON syntax error is one line on stderr and JSON on stdout, exit 2', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, '{"a": x}');
    const run = await runCli(['validate', file, '--json']);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({
      error: {
        message: `${file}: invalid JSON at line 1, column 7: unexpected 'x'`,
        hint: 'check the file is one JSON document',
        exitCode: 2,
      },
    });
    expect(run.stderr.trim().split('\n')[0]).toBe(`error: ${file}: invalid JSON at line 1, column 7: unexpected 'x'`);
  });

  it('a commander usage error is JSON too', async () => {
    const run = await runCli(['simulate', '--bogus', '--json']);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).error.message).toMatch(/unknown option '--bogus'/);
  });

  it('without --json stdout stays empty', async () => {
    const run = await runCli(['validate', join(dir, 'missing.json')]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('cannot read (no such file)');
  });
});
