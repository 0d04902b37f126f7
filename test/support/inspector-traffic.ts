/**
 * Scripted traffic for inspector tests: the exchange records a bridge publishes for an outbound
 * message with its status callbacks, an inbound message, an echo and a refused send, with
 * realistic (masked) headers and bodies.
 */
import type { Exchange, ExchangeFeed } from '../../src/exchange.js';
import { maskHeaders } from '../../src/secrets.js';

export const CHANNEL_ID = 'gfd8g7fd89dgfd';

type Draft = Omit<Exchange, 'id' | 'requestHeaders'> & { requestHeaders?: Record<string, string> };

/** Publishes with headers masked, as the bridge does. */
function publish(feed: ExchangeFeed, token: string, draft: Draft): Exchange {
  const requestHeaders = maskHeaders(
    draft.requestHeaders ?? { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  );
  return feed.publish({ ...draft, requestHeaders });
}

/** An outbound text: /message, the provider send, then status callbacks on both legs. */
export function outbound(
  feed: ExchangeFeed,
  token: string,
  o: { contactId: string; mId: string; text: string; time: number; statuses: string[]; providerUrl?: string },
): void {
  const providerUrl = o.providerUrl ?? 'http://127.0.0.1:4010';
  publish(feed, token, {
    time: o.time + 2,
    leg: 'provider',
    direction: 'out',
    method: 'POST',
    url: `${providerUrl}/v1/messages`,
    status: 200,
    latencyMs: 9,
    requestHeaders: { authorization: 'Bearer provider-key-1234567890', 'content-type': 'application/json' },
    requestBody: { to: o.contactId, type: 'text', text: o.text },
    responseBody: { id: o.mId, status: 'accepted' },
    contactId: o.contactId,
    messageType: 'text',
  });
  publish(feed, token, {
    time: o.time,
    leg: 'respondio',
    direction: 'in',
    method: 'POST',
    url: '/message',
    status: 200,
    latencyMs: 14,
    requestBody: { channelId: CHANNEL_ID, contactId: o.contactId, message: { type: 'text', text: o.text } },
    responseBody: { mId: o.mId },
    contactId: o.contactId,
    messageType: 'text',
    mId: o.mId,
  });
  for (const [i, value] of o.statuses.entries()) status(feed, token, { ...o, value, time: o.time + 100 * (i + 1) });
}

/** One status: the provider's callback and the bridge's webhook to respond.io. */
export function status(
  feed: ExchangeFeed,
  token: string,
  o: { contactId: string; mId: string; value: string; time: number; reason?: string },
): void {
  publish(feed, token, {
    time: o.time,
    leg: 'provider',
    direction: 'in',
    method: 'POST',
    url: '/webhooks/provider',
    status: 200,
    latencyMs: 2,
    requestHeaders: { 'content-type': 'application/json', 'x-provider-signature': 'sha256=ab12' },
    requestBody: {
      kind: 'status',
      messageId: o.mId,
      to: o.contactId,
      status: o.value,
      error: o.reason,
      timestamp: o.time,
    },
    responseBody: { ok: true },
  });
  const event = {
    type: 'message_status',
    mId: o.mId,
    timestamp: o.time,
    status: { value: o.value, message: o.reason },
  };
  publish(feed, token, {
    time: o.time + 1,
    leg: 'respondio',
    direction: 'out',
    method: 'POST',
    url: 'http://127.0.0.1:4000/custom/channel/webhook/',
    status: 200,
    latencyMs: 4,
    requestBody: { channelId: CHANNEL_ID, contactId: o.contactId, events: [event] },
    responseBody: { status: 'ok' },
    contactId: o.contactId,
    mId: o.mId,
  });
}

/** An inbound message (or echo) from the contact, through the provider and the bridge. */
export function inbound(
  feed: ExchangeFeed,
  token: string,
  o: { contactId: string; mId: string; text: string; time: number; echo?: boolean; name?: string },
): void {
  publish(feed, token, {
    time: o.time,
    leg: 'provider',
    direction: 'in',
    method: 'POST',
    url: '/webhooks/provider',
    status: 200,
    latencyMs: 3,
    requestHeaders: { 'content-type': 'application/json', 'x-provider-signature': 'sha256=cd34' },
    requestBody: {
      kind: o.echo ? 'echo' : 'message',
      messageId: o.mId,
      from: o.contactId,
      type: 'text',
      text: o.text,
      timestamp: o.time,
    },
    responseBody: { ok: true },
  });
  const event = {
    type: o.echo ? 'message_echo' : 'message',
    mId: o.mId,
    timestamp: o.time,
    message: { type: 'text', text: o.text },
  };
  const [firstName, lastName] = (o.name ?? '').split(' ');
  publish(feed, token, {
    time: o.time + 5,
    leg: 'respondio',
    direction: 'out',
    method: 'POST',
    url: 'http://127.0.0.1:4000/custom/channel/webhook/',
    status: 200,
    latencyMs: 6,
    requestBody: {
      channelId: CHANNEL_ID,
      contactId: o.contactId,
      events: [event],
      ...(o.name ? { contact: { firstName, lastName } } : {}),
    },
    responseBody: { status: 'ok' },
    contactId: o.contactId,
    mId: o.mId,
  });
}

/** A /message the bridge refused (the provider said no). */
export function refused(feed: ExchangeFeed, token: string, o: { contactId: string; text: string; time: number }): void {
  publish(feed, token, {
    time: o.time,
    leg: 'respondio',
    direction: 'in',
    method: 'POST',
    url: '/message',
    status: 400,
    latencyMs: 11,
    requestBody: { channelId: CHANNEL_ID, contactId: o.contactId, message: { type: 'text', text: o.text } },
    responseBody: { error: { message: 'provider: invalid recipient' } },
    contactId: o.contactId,
    messageType: 'text',
  });
}

/** A conversation with every kind of bubble and a status anomaly. */
export function scriptedConversation(feed: ExchangeFeed, token: string, t0 = Date.now() - 60_000): void {
  inbound(feed, token, {
    contactId: '+60177872890',
    mId: 'in-1',
    text: 'Hi! Where is my order #1042?',
    time: t0,
    name: 'Aisha Rahman',
  });
  outbound(feed, token, {
    contactId: '+60177872890',
    mId: 'prov-1',
    text: 'It shipped this morning 🚚',
    time: t0 + 2000,
    statuses: ['delivered', 'read'],
  });
  outbound(feed, token, {
    contactId: '+60177872890',
    mId: 'prov-2',
    text: 'Tracking: MY123456789',
    time: t0 + 4000,
    statuses: ['read', 'delivered'],
  });
  inbound(feed, token, {
    contactId: '+60177872890',
    mId: 'echo-1',
    text: 'Sent from the provider app',
    time: t0 + 6000,
    echo: true,
  });
  refused(feed, token, { contactId: '+60177872890', text: 'Are you there?', time: t0 + 8000 });
  inbound(feed, token, {
    contactId: '+447700900123',
    mId: 'in-2',
    text: 'Hello from London',
    time: t0 + 9000,
    name: 'Tom Baker',
  });
}
