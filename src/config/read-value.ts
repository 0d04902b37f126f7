/**
 * Where `config set <key> [value]` gets its value, so tokens stay out of shell history:
 * `-` reads standard input (`pbpaste | custom-channel config set token -`); no value on a
 * terminal asks for it (hidden for secrets); no value without a terminal is a usage error.
 */
import { usageError } from '../errors.js';

export interface ValueSource {
  /** Standard input, read to its end (only for `-`). */
  readStdin(): Promise<string>;
  /** Whether standard input is a terminal (asking is allowed). */
  interactive: boolean;
  /** Asks on the terminal; `hidden` echoes nothing. */
  ask(message: string, hidden: boolean): Promise<string>;
}

/**
 * The value to store. One trailing newline (what `echo` and most pasteboards add) is dropped.
 * @example await readSettingValue('token', '-', source) // the token piped in
 */
export async function readSettingValue(
  key: { name: string; secret: boolean },
  value: string | undefined,
  source: ValueSource,
): Promise<string> {
  if (value !== undefined && value !== '-') return value;
  if (value === '-') {
    const text = (await source.readStdin()).replace(/\r?\n$/, '');
    if (text === '')
      throw usageError(
        `config set ${key.name} -: standard input was empty`,
        `e.g. pbpaste | custom-channel config set ${key.name} -`,
      );
    return text;
  }
  if (!source.interactive) {
    throw usageError(
      `config set ${key.name}: missing value`,
      `pass it, or "-" to read it from standard input (keeps ${key.secret ? 'the secret' : 'it'} out of shell history)`,
    );
  }
  const answer = (await source.ask(`${key.name}:`, key.secret)).trim();
  if (answer === '') throw usageError(`config set ${key.name}: no value given`);
  return answer;
}

/** Reads a stream to its end as UTF-8. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  return text;
}

/** Standard input and the terminal prompt of this process. */
export function processValueSource(): ValueSource {
  return {
    readStdin: () => readAll(process.stdin),
    interactive: process.stdin.isTTY === true,
    ask: async (message, hidden) => {
      const { askSetting } = await import('../ui/prompts.js');
      return askSetting(message, hidden);
    },
  };
}
