/**
 * The compose box's server side: an outgoing message sent the way respond.io sends it. With an
 * emulator it goes through the emulator's outgoing flow (so statuses are tracked as respond.io
 * would); without one, straight to the bridge's `/message` with the channel token, which stays
 * here and never reaches the page.
 */
import { z } from 'zod';
import { MessageSchema } from '../contract/messages.js';
import type { EmulatorHandle } from '../emulator/types.js';
import type { NewEntry } from './history.js';
import { type SendDeps, sendHttp } from './replay.js';
import type { SendOutcome } from './types.js';

export const ComposeSchema = z.strictObject({
  contactId: z.string().min(1, { message: 'must not be empty' }).max(50),
  message: MessageSchema,
});
export type ComposeInput = z.infer<typeof ComposeSchema>;

/** What the inspector needs of the emulator: its event stream and its outgoing flow (`sendMessage`). */
export type InspectorEmulator = Pick<EmulatorHandle, 'subscribe' | 'sendMessage'>;

export interface ComposeDeps extends SendDeps {
  emulator?: InspectorEmulator;
  channelId(): string | undefined;
  /** Records the exchange when no bridge feed reports it (bridge in another process). */
  record?(entry: NewEntry): void;
}

/** Sends a composed message; never throws for a refused send (the outcome says why). */
export async function runCompose(input: ComposeInput, deps: ComposeDeps): Promise<SendOutcome> {
  const channelId = deps.channelId();
  if (deps.emulator) {
    const started = performance.now();
    try {
      const body = await deps.emulator.sendMessage({ channelId, contactId: input.contactId, message: input.message });
      return { ok: true, status: 200, latencyMs: Math.round(performance.now() - started), body };
    } catch (error) {
      return {
        ok: false,
        status: 0,
        latencyMs: Math.round(performance.now() - started),
        error: (error as Error).message,
      };
    }
  }
  const token = deps.token();
  if (!deps.bridgeUrl || !token || !channelId) {
    const missing = !deps.bridgeUrl ? 'bridge URL' : !token ? 'channel token' : 'channel ID';
    return { ok: false, status: 0, latencyMs: 0, error: `cannot compose: the inspector has no ${missing}` };
  }
  const requestBody = { channelId, contactId: input.contactId, message: input.message };
  const time = Date.now();
  const result = await sendHttp(deps, {
    method: 'POST',
    url: `${deps.bridgeUrl.replace(/\/+$/, '')}/message`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(requestBody),
  });
  deps.record?.({
    time,
    kind: 'exchange',
    exchange: {
      id: 0,
      time,
      leg: 'respondio',
      direction: 'in',
      method: 'POST',
      url: '/message',
      status: result.status,
      latencyMs: result.latencyMs,
      requestHeaders: { authorization: 'Bearer $TOKEN', 'content-type': 'application/json' },
      requestBody,
      responseHeaders: result.headers,
      responseBody: result.body,
      contactId: input.contactId,
      messageType: input.message.type,
      error: result.error,
    },
  });
  const ok = result.status >= 200 && result.status < 300;
  return { ok, status: result.status, latencyMs: result.latencyMs, body: result.body, error: result.error };
}
