/**
 * respond.io <-> ClickSend SMS. respond.io's outgoing messages go to ClickSend's REST v3 SMS
 * API; ClickSend's inbound SMS and delivery receipt pushes come back as respond.io events.
 * The bridge (custom-channel) does the rest: respond.io auth, validation, the outbox, retries.
 */
import {
  type AdapterContext,
  AdapterError,
  type BridgeEvent,
  defineAdapter,
  type ProviderRequest,
  safeEqual,
  throwForProviderStatus,
} from 'custom-channel';
import {
  DEFAULT_API_URL,
  failureReason,
  flatFields,
  parseInbound,
  parseReceipt,
  pickReply,
  receiptStatus,
  type SendResponse,
  type SmsMessage,
  smsBody,
  toE164,
  toMillis,
} from './clicksend.ts';
import { RecentMap } from './recent-map.ts';

/** Recipient of each recent send, for receipts that come back without custom_string. */
const recipients = new RecentMap<string>(10_000);
/** The replies of the last quick reply each contact got, to read an answer such as "2". */
const openChoices = new RecentMap<readonly string[]>(10_000);

/** Receipts carry no recipient: it travels in custom_string (set on send) or is remembered. */
function receiptContact(fields: Record<string, string>, messageId: string): string | undefined {
  for (const candidate of [fields.custom_string, fields.to]) {
    if (candidate && /^\+?[1-9]\d{6,14}$/.test(candidate.trim())) return toE164(candidate.trim());
  }
  return recipients.get(messageId);
}

/** An answer to the last quick reply ("2", or the reply itself) becomes that reply's text. */
function answerText(body: string, contactId: string): string {
  const reply = pickReply(body, openChoices.get(contactId));
  if (reply === undefined) return body;
  openChoices.forget(contactId);
  return reply;
}

export const INBOUND_PATH = '/webhooks/clicksend/inbound';
export const RECEIPTS_PATH = '/webhooks/clicksend/receipts';

function required(ctx: AdapterContext, name: string): string {
  const value = ctx.env[name];
  if (!value) throw new Error(`${name} is not set: copy .env.example to .env and fill it in`);
  return value;
}

/**
 * ClickSend does not sign its pushes: the push URLs configured in ClickSend carry
 * CLICKSEND_WEBHOOK_SECRET as `?secret=...`, and requests without it are refused. Fail closed:
 * while the secret is unset, every push is refused (anyone could post forged receipts).
 */
function verifySecret(request: ProviderRequest, ctx: AdapterContext): boolean {
  const secret = ctx.env.CLICKSEND_WEBHOOK_SECRET;
  if (!secret) return false;
  return safeEqual(request.query.secret ?? '', secret);
}

async function readJson(response: Response): Promise<SendResponse> {
  const text = await response.text();
  try {
    return JSON.parse(text) as SendResponse;
  } catch {
    return { response_msg: text.slice(0, 200) };
  }
}

export default defineAdapter({
  name: 'clicksend-sms',
  capabilities: {
    // SMS carries text only: quick replies and locations are rendered as text; attachments and
    // custom payloads cannot be delivered, so the bridge answers 400 for them.
    messageTypes: ['text', 'quick_reply', 'location'],
    statuses: ['sent', 'delivered', 'failed'],
  },

  async send(input, ctx) {
    const body = smsBody(input.message);
    if (body === undefined) throw new AdapterError(`ClickSend SMS cannot carry a ${input.message.type} message`);
    const username = required(ctx, 'CLICKSEND_USERNAME');
    const apiKey = required(ctx, 'CLICKSEND_API_KEY');
    const base = (ctx.env.CLICKSEND_API_URL || DEFAULT_API_URL).replace(/\/+$/, '');
    // custom_string comes back with every delivery receipt, which has no recipient of its own.
    const sms: SmsMessage = { source: 'custom-channel', body, to: input.contactId, custom_string: input.contactId };
    if (ctx.env.CLICKSEND_FROM) sms.from = ctx.env.CLICKSEND_FROM;

    const response = await ctx.fetch(`${base}/sms/send`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${username}:${apiKey}`).toString('base64')}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({ messages: [sms] }),
      signal: ctx.signal,
    });
    const answer = await readJson(response);
    const why = [answer.response_code, answer.response_msg].filter(Boolean).join(': ');
    // 408, 429 and 5xx are ClickSend's trouble, not the message's: RetryableError, so the bridge
    // retries (honouring Retry-After) and then queues it. ClickSend takes no idempotency key, so a
    // try that timed out after ClickSend took it may send the SMS twice.
    if (response.status === 408 || response.status === 429 || response.status >= 500) {
      throwForProviderStatus(response, `ClickSend ${why}`.trim());
    }
    // Any other 4xx is a refusal of this SMS: respond.io gets the error at once, no retry.
    if (!response.ok) throw new AdapterError(`ClickSend refused the SMS (${response.status} ${why})`.trim());

    const sent = answer.data?.messages?.[0];
    if (!sent?.message_id) throw new Error(`ClickSend answered without a message_id (${why})`);
    if (sent.status && sent.status !== 'SUCCESS') {
      throw new AdapterError(`ClickSend refused the SMS to ${input.contactId}: ${sent.status}`);
    }
    recipients.remember(sent.message_id, input.contactId);
    if (input.message.type === 'quick_reply') openChoices.remember(input.contactId, input.message.replies);
    else openChoices.forget(input.contactId);
    return { mId: sent.message_id };
  },

  webhooks: [
    {
      path: INBOUND_PATH,
      secretEnv: 'CLICKSEND_WEBHOOK_SECRET',
      verify: verifySecret,
      handle(request, ctx) {
        const sms = parseInbound(flatFields(request.body));
        if (!sms) {
          ctx.log.warn('ClickSend inbound push without message_id, from or body: ignored');
          return { events: [], reply: { status: 400, body: { error: { message: 'not an inbound SMS push' } } } };
        }
        const event: BridgeEvent = {
          contactId: sms.from,
          contact: { phone: sms.from },
          event: {
            type: 'message',
            mId: sms.messageId,
            timestamp: toMillis(sms.timestamp, ctx.now()),
            message: { type: 'text', text: answerText(sms.body, sms.from) },
          },
        };
        return { events: [event] };
      },
    },
    {
      path: RECEIPTS_PATH,
      secretEnv: 'CLICKSEND_WEBHOOK_SECRET',
      verify: verifySecret,
      handle(request, ctx) {
        const fields = flatFields(request.body);
        const receipt = parseReceipt(fields);
        if (!receipt) {
          ctx.log.warn('ClickSend receipt push without message_id or status_code: ignored');
          return { events: [], reply: { status: 400, body: { error: { message: 'not a delivery receipt push' } } } };
        }
        const value = receiptStatus(receipt.statusCode);
        if (!value) {
          ctx.log.info('ClickSend receipt not final or unknown: no status reported', {
            messageId: receipt.messageId,
            statusCode: receipt.statusCode,
          });
          return { events: [] };
        }
        const contactId = receiptContact(fields, receipt.messageId);
        if (!contactId) {
          ctx.log.warn('ClickSend receipt for a message this server did not send: ignored', {
            messageId: receipt.messageId,
          });
          return { events: [] };
        }
        const event: BridgeEvent = {
          contactId,
          event: {
            type: 'message_status',
            mId: receipt.messageId,
            timestamp: toMillis(receipt.timestamp, ctx.now()),
            status: value === 'failed' ? { value, message: failureReason(receipt) } : { value },
          },
        };
        return { events: [event] };
      },
    },
  ],
});
