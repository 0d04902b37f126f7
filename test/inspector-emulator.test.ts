/**
 * The inspector with the emulator alone (what `emulate` runs): respond.io's events make the
 * conversation, the emulator's own HTTP records sit under the bubbles; history survives a restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { startEmulator } from '../src/emulator/index.js';
import type { InspectorView } from '../src/inspector/model.js';
import { type InspectorHandle, startInspector } from '../src/inspector/server.js';
import { startReceiver } from './support/inspector-receiver.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
});

it('builds the conversation from emulator events and keeps it across a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'inspector-emu-'));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  const bridge = await startReceiver(() => ({ status: 200, body: { mId: 'prov-77' } }));
  closers.push(bridge.close);
  const emulator = await startEmulator({ stateDir: dir });
  closers.push(() => emulator.close());
  emulator.setApiBaseUrl(bridge.url);
  const { channelId, token } = emulator.channel;
  const historyFile = join(dir, 'inspector.ndjson');
  const options = { emulator, channelId, token: () => token, historyFile };
  let inspector: InspectorHandle = await startInspector(options);
  closers.push(() => inspector.close());

  const post = (events: unknown[]) =>
    fetch(emulator.webhookUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channelId, contactId: '+60177872890', events, contact: { firstName: 'Aisha' } }),
    });
  const now = Date.now();
  await post([{ type: 'message', mId: 'in-1', timestamp: now, message: { type: 'text', text: 'Hello' } }]);
  // The outgoing flow through the compose API: the emulator calls <bridge>/message.
  const compose = await fetch(`${inspector.baseUrl}api/compose`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-inspector-token': inspector.secret },
    body: JSON.stringify({ contactId: '+60177872890', message: { type: 'text', text: 'Hi Aisha' } }),
  });
  expect((await compose.json()).ok).toBe(true);
  expect(bridge.received[0].headers.authorization).toBe(`Bearer ${token}`);
  await post([{ type: 'message_status', mId: 'prov-77', timestamp: now + 1, status: { value: 'delivered' } }]);
  await post([{ type: 'message_status', mId: 'nobody', timestamp: now + 2, status: { value: 'read' } }]);

  const view = async (): Promise<InspectorView> =>
    (
      await fetch(`${inspector.baseUrl}api/conversations`, { headers: { 'x-inspector-token': inspector.secret } })
    ).json();
  const check = async () => {
    const [aisha] = (await view()).conversations;
    expect(aisha.name).toBe('Aisha');
    expect(aisha.bubbles.map((b) => [b.kind, b.mId, b.status])).toEqual([
      ['inbound', 'in-1', undefined],
      ['outbound', 'prov-77', 'delivered'],
    ]);
    expect(aisha.bubbles[1].statuses.map((s) => s.value)).toEqual(['pending', 'sent', 'delivered']);
    // /message as the emulator recorded it, and the status webhook post.
    expect(aisha.bubbles[1].exchanges).toHaveLength(2);
    expect(aisha.notes.map((n) => [n.anomaly, n.text])).toEqual([
      [true, expect.stringMatching(/unknown mId "nobody"/)],
    ]);
  };
  await check();

  await inspector.close();
  inspector = await startInspector({ ...options, emulator: undefined });
  await check();
});
