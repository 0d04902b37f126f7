import { describe, expect, it } from 'vitest';
import { validatePayload } from '../src/contract/index.js';

describe('validatePayload smoke', () => {
  it('accepts a text message event', () => {
    const result = validatePayload({
      channelId: 'gfd8g7fd89dgfd',
      contactId: '+60177872890',
      events: [{ type: 'message', mId: 'p-1', timestamp: 1767225600000, message: { type: 'text', text: 'Hi' } }],
    });
    expect(result).toMatchObject({ valid: true, kind: 'webhook', errors: [] });
  });
});
