/**
 * respond.io <-> WhatsApp through Gupshup. respond.io's outgoing messages go to Gupshup's send
 * message API (`POST /wa/api/v1/msg`, form body, `apikey` header); Gupshup's callbacks
 * (`type: message` and `type: message-event`, v2 format) come back as respond.io events.
 * The bridge (custom-channel) does the rest: respond.io auth, validation, the outbox, retries.
 */
import {
  type AdapterContext,
  AdapterError,
  type BridgeEvent,
  defineAdapter,
  type ProviderRequest,
  safeEqual,
} from 'custom-channel';
import {
  buildGupshupMessage,
  buildSendForm,
  type Callback,
  DEFAULT_API_URL,
  type EventPayload,
  failureReason,
  type InboundPayload,
  inboundMessageOf,
  type SendAnswer,
  statusOf,
  toE164,
  toMId,
  toMillis,
} from './gupshup.ts';
import { RecentMap } from './recent-map.ts';

export const WEBHOOK_PATH = '/webhooks/gupshup';

/**
 * Gupshup's message id for each WhatsApp message id, learnt from `enqueued` events: DLR events
 * more than a week late carry only the WhatsApp id.
 */
const gupshupIds = new RecentMap<string>(20_000);

function required(ctx: AdapterContext, name: string): string {
  const value = ctx.env[name];
  if (!value) throw new Error(`${name} is not set: copy .env.example to .env and fill it in`);
  return value;
}

/**
 * Gupshup does not sign its callbacks (no signature header, no shared secret of its own), so the
 * callback URL carries one: `<public URL>/webhooks/gupshup?secret=<GUPSHUP_WEBHOOK_SECRET>`.
 * Without GUPSHUP_WEBHOOK_SECRET every callback is refused (401): anyone could post messages otherwise.
 */
function verifySecret(request: ProviderRequest, ctx: AdapterContext): boolean {
  const secret = ctx.env.GUPSHUP_WEBHOOK_SECRET;
  if (!secret) {
    ctx.log.warn('GUPSHUP_WEBHOOK_SECRET is not set: Gupshup callbacks are refused until it is (see .env.example)');
    return false;
  }
  return safeEqual(request.query.secret ?? '', secret);
}

async function readAnswer(response: Response): Promise<SendAnswer> {
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as SendAnswer) : { message: text.slice(0, 200) };
  } catch {
    return { message: text.slice(0, 200) };
  }
}

function inboundEvent(callback: Callback, ctx: AdapterContext): BridgeEvent | undefined {
  const inbound = (callback.payload ?? {}) as InboundPayload;
  const phone = inbound.sender?.phone ?? inbound.source;
  const message = inboundMessageOf(inbound);
  if (!inbound.id || !phone || !message) {
    ctx.log.info('Gupshup message not carried to respond.io (unsupported type or incomplete)', {
      type: inbound.type,
      id: inbound.id,
    });
    return undefined;
  }
  const contactId = toE164(phone);
  const name = inbound.sender?.name?.trim();
  return {
    contactId,
    contact: { phone: contactId, ...(name ? { firstName: name } : {}) },
    event: { type: 'message', mId: toMId(inbound.id), timestamp: toMillis(callback.timestamp, ctx.now()), message },
  };
}

function statusEvent(callback: Callback, ctx: AdapterContext): BridgeEvent | undefined {
  const event = (callback.payload ?? {}) as EventPayload;
  if (event.type === 'enqueued' && event.id && event.payload?.whatsappMessageId) {
    gupshupIds.remember(event.payload.whatsappMessageId, event.id);
  }
  const value = statusOf(event.type);
  if (!value || !event.destination) {
    ctx.log.debug('Gupshup message-event not reported to respond.io', { type: event.type });
    return undefined;
  }
  // enqueued/failed: `id` is Gupshup's id; sent/delivered/read: `gsId` is, `id` is WhatsApp's.
  const gupshupId = value === 'failed' ? (event.gsId ?? event.id) : (event.gsId ?? gupshupIds.get(event.id ?? ''));
  if (!gupshupId) {
    ctx.log.warn('Gupshup status without its Gupshup message id (older than a week?): ignored', { id: event.id });
    return undefined;
  }
  return {
    contactId: toE164(event.destination),
    event: {
      type: 'message_status',
      mId: toMId(gupshupId),
      timestamp: toMillis(event.payload?.ts ?? callback.timestamp, ctx.now()),
      status: value === 'failed' ? { value, message: failureReason(event) } : { value },
    },
  };
}

export default defineAdapter({
  name: 'gupshup-whatsapp',
  capabilities: {
    // custom_payload has no WhatsApp form: the bridge answers respond.io 400 for it.
    messageTypes: ['text', 'attachment', 'location', 'quick_reply'],
    attachmentTypes: ['image', 'video', 'audio', 'file'],
    statuses: ['sent', 'delivered', 'read', 'failed'],
  },

  async send(input, ctx) {
    const message = buildGupshupMessage(input.message);
    if (!message) throw new AdapterError(`WhatsApp (Gupshup) cannot carry a ${input.message.type} message`);
    const apiKey = required(ctx, 'GUPSHUP_API_KEY');
    const form = buildSendForm({
      source: required(ctx, 'GUPSHUP_SOURCE'),
      appName: required(ctx, 'GUPSHUP_APP_NAME'),
      destination: input.contactId,
      message,
    });
    const base = (ctx.env.GUPSHUP_API_URL || DEFAULT_API_URL).replace(/\/+$/, '');
    const response = await ctx.fetch(`${base}/msg`, {
      method: 'POST',
      headers: { apikey: apiKey, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      signal: ctx.signal,
    });
    const answer = await readAnswer(response);
    const why = answer.message ?? answer.status ?? '';
    // 408, 429 and 5xx are Gupshup's trouble, not the message's: a plain Error, which the bridge treats
    // as worth retrying (custom-channel's RetryableError where available). Other 4xx are refusals.
    if (response.status === 408 || response.status === 429 || response.status >= 500) {
      throw new Error(`Gupshup answered ${response.status} ${why}`.trim());
    }
    if (!response.ok) throw new AdapterError(`Gupshup refused the message (${response.status} ${why})`.trim());
    if (answer.status !== 'submitted' || !answer.messageId) {
      throw new AdapterError(`Gupshup did not accept the message: ${why || 'no messageId in its answer'}`);
    }
    return { mId: toMId(answer.messageId) };
  },

  webhooks: [
    {
      path: WEBHOOK_PATH,
      verify: verifySecret,
      // Gupshup checks a callback URL when it is saved; a GET with the right secret answers 200.
      handshake: (request, ctx) =>
        verifySecret(request, ctx) ? { status: 200, body: { ok: true } } : { status: 401, body: { ok: false } },
      handle(request, ctx) {
        const callback = (request.body && typeof request.body === 'object' ? request.body : {}) as Callback;
        let event: BridgeEvent | undefined;
        if (callback.type === 'message') event = inboundEvent(callback, ctx);
        else if (callback.type === 'message-event') event = statusEvent(callback, ctx);
        // user-event (opted-in, opted-out, sandbox-start), billing-event, the URL check: acknowledged.
        else ctx.log.debug('Gupshup callback acknowledged without an event', { type: callback.type });
        return { events: event ? [event] : [] };
      },
    },
  ],
});
