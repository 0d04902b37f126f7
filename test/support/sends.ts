/** What `/message` hands the send queue for a text message, for the queue tests. */
import type { SendInput } from '../../src/bridge/adapter.js';

export const textInput = (contactId: string, text: string): SendInput => ({
  channelId: 'c',
  contactId,
  message: { type: 'text', text },
});
