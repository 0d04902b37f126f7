/** `outbox purge` asks on a terminal unless --yes; elsewhere it needs --yes. */
import { describe, expect, it } from 'vitest';
import { shouldPurge } from '../src/outbox/confirm-purge.js';

describe('shouldPurge', () => {
  const base = { count: 2, what: 'dead letter(s)' };
  it('asks on a terminal and follows the answer', async () => {
    const asked: string[] = [];
    const ask = (answer: boolean) => async (message: string) => {
      asked.push(message);
      return answer;
    };
    expect(await shouldPurge({ ...base, yes: false, interactive: true, ask: ask(false) })).toBe(false);
    expect(await shouldPurge({ ...base, yes: false, interactive: true, ask: ask(true) })).toBe(true);
    expect(asked).toEqual(['Delete 2 dead letter(s) for good?', 'Delete 2 dead letter(s) for good?']);
  });

  it('--yes or nothing to delete: no question', async () => {
    const ask = async () => {
      throw new Error('must not ask');
    };
    expect(await shouldPurge({ ...base, yes: true, interactive: true, ask })).toBe(true);
    expect(await shouldPurge({ ...base, count: 0, yes: false, interactive: false, ask })).toBe(true);
  });

  it('off a terminal without --yes: a usage error naming --yes', async () => {
    await expect(shouldPurge({ ...base, yes: false, interactive: false, ask: async () => true })).rejects.toMatchObject(
      {
        exitCode: 2,
        message: 'outbox purge would delete 2 dead letter(s): pass --yes to confirm',
      },
    );
  });
});
