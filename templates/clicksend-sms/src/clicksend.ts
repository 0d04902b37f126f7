/**
 * ClickSend's payloads, as its REST v3 documentation describes them, and how they map to
 * respond.io: the SMS send body and answer, the inbound SMS push and the delivery receipt push.
 * Pushes arrive form-urlencoded ("post") or as JSON ("json"), depending on the rule's
 * webhook type in the ClickSend dashboard; both reach these functions as a flat object.
 */
import type { Message, StatusValue } from 'custom-channel';

export const DEFAULT_API_URL = 'https://rest.clicksend.com/v3';

/** One entry of `messages` in `POST /v3/sms/send`. */
export interface SmsMessage {
  source: string;
  body: string;
  to: string;
  from?: string;
  custom_string?: string;
}

/** `POST /v3/sms/send` answer (also the shape of its errors: `response_code` says why). */
export interface SendResponse {
  http_code?: number;
  response_code?: string;
  response_msg?: string;
  data?: { messages?: Array<{ message_id?: string; status?: string; to?: string }> };
}

/**
 * The SMS text for a respond.io message, or `undefined` when SMS cannot carry it.
 * Quick replies become a numbered list (the contact answers with text); a location becomes
 * its address and a map link.
 * @example smsBody({ type: 'text', text: 'Hi' }) // 'Hi'
 */
export function smsBody(message: Message): string | undefined {
  switch (message.type) {
    case 'text':
      return message.text;
    case 'quick_reply':
      return [message.title, ...message.replies.map((reply, i) => `${i + 1}) ${reply}`)].join('\n');
    case 'location': {
      const link = `https://maps.google.com/?q=${message.latitude},${message.longitude}`;
      return message.address ? `${message.address}\n${link}` : link;
    }
    default:
      return undefined;
  }
}

/**
 * The reply a contact chose from a numbered quick reply: by its number (`2`, `2)`, `2.`) or by
 * its text (any case); `undefined` when the SMS is not an answer.
 * @example pickReply(' 2 ', ['Good', 'Bad']) // 'Bad'
 */
export function pickReply(body: string, replies: readonly string[] | undefined): string | undefined {
  if (!replies || replies.length === 0) return undefined;
  const text = body.trim();
  const number = /^(\d{1,2})\s*[).]?$/.exec(text);
  if (number) return replies[Number(number[1]) - 1];
  return replies.find((reply) => reply.toLowerCase() === text.toLowerCase());
}

/** A flat push body (form fields or JSON) with every value as a string. */
export function flatFields(body: unknown): Record<string, string> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (value === null || value === undefined) continue;
    out[key] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return out;
}

/** ClickSend sends numbers with or without `+`; respond.io's Phone Number ID type needs E.164 with `+`. */
export function toE164(number: string): string {
  const digits = number.replace(/[\s()-]/g, '');
  return digits.startsWith('+') ? digits : `+${digits}`;
}

/** Unix seconds (ClickSend) -> epoch milliseconds (respond.io); `fallback` when missing. */
export function toMillis(seconds: string | undefined, fallback: number): number {
  const value = Number(seconds);
  return Number.isFinite(value) && value > 0 ? Math.round(value * 1000) : fallback;
}

export interface InboundSms {
  messageId: string;
  from: string;
  to?: string;
  body: string;
  timestamp?: string;
  /** The ClickSend message this SMS replies to, when it is a reply. */
  originalMessageId?: string;
}

/** Reads an inbound SMS push; `undefined` when required fields are missing. */
export function parseInbound(fields: Record<string, string>): InboundSms | undefined {
  const messageId = fields.message_id;
  const from = fields.from;
  // Older accounts send the text as `message`; current pushes use `body`.
  const body = fields.body ?? fields.message;
  if (!messageId || !from || body === undefined || body === '') return undefined;
  return {
    messageId,
    from: toE164(from),
    to: fields.to,
    body,
    timestamp: fields.timestamp,
    originalMessageId: fields.original_message_id || fields.originalmessageid || undefined,
  };
}

export interface Receipt {
  messageId: string;
  statusCode: string;
  statusText?: string;
  errorCode?: string;
  errorText?: string;
  timestamp?: string;
}

/** Reads a delivery receipt push; `undefined` when required fields are missing. */
export function parseReceipt(fields: Record<string, string>): Receipt | undefined {
  if (!fields.message_id || !fields.status_code) return undefined;
  return {
    messageId: fields.message_id,
    statusCode: fields.status_code,
    statusText: fields.status_text,
    errorCode: fields.error_code,
    errorText: fields.error_text,
    timestamp: fields.timestamp,
  };
}

/**
 * ClickSend's gateway status codes: 200 accepted by the network, 201 received on the handset,
 * 300 temporary failure that ClickSend retries, 301 failed or cancelled. A 300 is not final,
 * so it maps to nothing; unknown codes map to nothing too and are logged by the adapter.
 * @example receiptStatus('201') // 'delivered'
 */
export function receiptStatus(code: string): StatusValue | undefined {
  switch (code.trim()) {
    case '200':
      return 'sent';
    case '201':
      return 'delivered';
    case '301':
      return 'failed';
    default:
      return undefined;
  }
}

/** The reason respond.io shows for a failed SMS. */
export function failureReason(receipt: Receipt): string {
  const parts = [receipt.statusText, receipt.errorText].filter((p): p is string => Boolean(p && p !== 'null'));
  const text = parts.length > 0 ? parts.join(': ') : 'ClickSend could not deliver the SMS';
  return receipt.errorCode && receipt.errorCode !== 'null' ? `${text} (error ${receipt.errorCode})` : text;
}
