/**
 * `config set` keeps tokens out of shell history: `-` reads standard input; on a terminal a
 * missing value is asked for, hidden; without a terminal it is a usage error.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSettingValue, type ValueSource } from '../src/config/read-value.js';
import { CliError } from '../src/errors.js';
import { BIN, runCli } from './support/cli.js';
import { removeTempDirs, tempDir } from './support/init-helpers.js';
import { startTmux, type TmuxSession } from './support/init-tmux.js';

const TOKEN = 'piped_Token_0123456789ABCDEFGHIJKLMNOPQRSTUVWX';
let session: TmuxSession | undefined;
afterEach(async () => {
  session?.kill();
  session = undefined;
  await removeTempDirs();
});

function source(over: Partial<ValueSource> = {}): ValueSource & { asked: Array<[string, boolean]> } {
  const asked: Array<[string, boolean]> = [];
  return {
    asked,
    readStdin: async () => `${TOKEN}\n`,
    interactive: false,
    ask: async (message, hidden) => {
      asked.push([message, hidden]);
      return ` ${TOKEN} `;
    },
    ...over,
  };
}

describe('readSettingValue', () => {
  const token = { name: 'token', secret: true };
  it('takes a given value, reads `-` from stdin (one trailing newline dropped), asks hidden on a terminal', async () => {
    expect(await readSettingValue(token, 'given', source())).toBe('given');
    expect(await readSettingValue(token, '-', source())).toBe(TOKEN);
    expect(await readSettingValue(token, '-', source({ readStdin: async () => 'a b\r\n' }))).toBe('a b');
    const tty = source({ interactive: true });
    expect(await readSettingValue(token, undefined, tty)).toBe(TOKEN);
    expect(tty.asked).toEqual([['token:', true]]);
    const visible = source({ interactive: true });
    await readSettingValue({ name: 'channel-id', secret: false }, undefined, visible);
    expect(visible.asked).toEqual([['channel-id:', false]]);
  });

  it('refuses empty stdin, an empty answer and a missing value without a terminal, naming the way out', async () => {
    const cases: Array<[string | undefined, ValueSource, RegExp]> = [
      ['-', source({ readStdin: async () => '\n' }), /standard input was empty/],
      [undefined, source({ interactive: true, ask: async () => '  ' }), /no value given/],
      [undefined, source(), /missing value/],
    ];
    for (const [value, from, message] of cases) {
      const error = await readSettingValue(token, value, from).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CliError);
      expect((error as CliError).message).toMatch(message);
      expect((error as CliError).exitCode).toBe(2);
    }
  });
});

describe('config set (bin)', () => {
  it('`config set token -` stores what standard input holds, and prints it masked', async () => {
    const home = await tempDir();
    const set = await runCli(['config', 'set', 'token', '-'], { env: { XDG_CONFIG_HOME: home }, input: `${TOKEN}\n` });
    expect(set.code, set.stderr).toBe(0);
    expect(`${set.stdout}${set.stderr}`).not.toContain(TOKEN);
    const get = await runCli(['config', 'get', 'token', '--show-secrets'], { env: { XDG_CONFIG_HOME: home } });
    expect(get.stdout.trim()).toBe(TOKEN);
  });

  it('without a value and without a terminal: exit 2, naming `-`', async () => {
    const home = await tempDir();
    const set = await runCli(['config', 'set', 'token'], { env: { XDG_CONFIG_HOME: home }, input: '' });
    expect(set.code).toBe(2);
    expect(set.stderr).toMatch(/error: config set token: missing value/);
    expect(set.stderr).toMatch(/"-" to read it from standard input/);
  });

  it('on a terminal, asks for the token without echoing it', async () => {
    const home = await tempDir();
    const state = await tempDir();
    session = startTmux(
      [process.execPath, BIN, 'config', 'set', 'token'],
      home,
      { NO_COLOR: '1', TERM: 'xterm-256color', XDG_CONFIG_HOME: home },
      state,
    );
    await session.waitFor(/token:/);
    session.type(TOKEN);
    session.keys('Enter');
    expect(await session.exitCode()).toBe(0);
    expect(session.screen()).not.toContain(TOKEN);
    const stored = await readFile(join(home, 'custom-channel', 'config.json'), 'utf8');
    expect(stored).toContain(TOKEN);
  });
});
