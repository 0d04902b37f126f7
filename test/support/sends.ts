/** What `/message` hands the send queue for a text message, for the queue tests. */
import type { SendInput } from '../../src/bridge/adapter.js';

export const textInput = (contactId: string, text: string): SendInput => ({
  channelId: 'c',
  contactId,
  message: { type: 'text', text },
});

/**
 * The texts tried again after their first try, in the order of those tries, of the sends whose
 * text starts with `prefix` (the order tests fail each send's first try).
 * @example retriedTexts(tries, 'b-') // ['b-0', 'b-1']
 */
export function retriedTexts(tries: ReadonlyArray<{ text: string }>, prefix: string): string[] {
  return tries
    .filter((t, i) => tries.findIndex((u) => u.text === t.text) !== i && t.text.startsWith(prefix))
    .map((t) => t.text);
}
