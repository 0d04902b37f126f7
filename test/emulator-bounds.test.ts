/** The emulator's memory is bounded: the oldest messages are forgotten past `maxMessages`. */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator, textEvent, webhookBody } from './support/emulator-helpers.js';

let emulator: TestEmulator | undefined;
afterEach(async () => {
  await emulator?.dispose();
});

describe('emulator message bound', () => {
  it('keeps at most maxMessages, newest first, and forgets the oldest mIds', async () => {
    emulator = await startTestEmulator({ maxMessages: 50, rateLimitPerSecond: false });
    for (let batch = 0; batch < 12; batch++) {
      const events = Array.from({ length: 10 }, (_, i) => textEvent(`m${batch * 10 + i}`, `bound-${batch * 10 + i}`));
      expect((await emulator.post(webhookBody(emulator, events))).status).toBe(200);
    }
    const kept = emulator.listMessages();
    expect(kept.length).toBeLessThanOrEqual(50);
    expect(kept.length).toBeGreaterThanOrEqual(45);
    expect(kept[0].mId).toBe('bound-119');
    expect(emulator.findByMId(emulator.channel.channelId, 'bound-0')).toBeUndefined();
    expect(emulator.findByMId(emulator.channel.channelId, 'bound-119')).toBeDefined();
  });
});
