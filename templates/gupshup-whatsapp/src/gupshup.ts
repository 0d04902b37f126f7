/**
 * Gupshup's WhatsApp API (v2 callback format), as its public docs describe it, and the mapping
 * between its payloads and respond.io's. Pure functions: no I/O, so the tests cover them directly.
 */
import { createHash } from 'node:crypto';
import type { Attachment, Message, StatusValue } from 'custom-channel';

export const DEFAULT_API_URL = 'https://api.gupshup.io/wa/api/v1';

/** WhatsApp's limits for interactive messages (Meta's Cloud API): over them, a list or plain text. */
export const MAX_BUTTONS = 3;
export const MAX_BUTTON_TITLE = 20;
export const MAX_LIST_ROWS = 10;
export const MAX_ROW_TITLE = 24;

/** The `message` JSON of `POST /msg` (a form field holding JSON). */
export type GupshupMessage = Record<string, unknown> & { type: string };

/** `{ "status": "submitted", "messageId": "<Gupshup message id>" }`, or `{ "status": "error", "message" }`. */
export interface SendAnswer {
  status?: string;
  messageId?: string;
  message?: string;
}

/** Gupshup's callback envelope (v2): `type` is `message`, `message-event`, `user-event`, `billing-event`... */
export interface Callback {
  app?: string;
  timestamp?: number;
  version?: number;
  type?: string;
  payload?: Record<string, unknown>;
}

export interface InboundPayload {
  id?: string;
  source?: string;
  type?: string;
  payload?: Record<string, unknown>;
  sender?: { phone?: string; name?: string; country_code?: string; dial_code?: string };
  context?: { id?: string; gsId?: string };
}

export interface EventPayload {
  /** Gupshup's message id for enqueued/failed; WhatsApp's message id for sent/delivered/read. */
  id?: string;
  /** Gupshup's message id on sent/delivered/read (missing on events more than a week late). */
  gsId?: string;
  type?: string;
  destination?: string;
  payload?: { ts?: number; whatsappMessageId?: string; code?: number; reason?: string; type?: string };
}

/** `+60 17-787 2890` -> `60177872890`: Gupshup's numbers are digits without `+`. */
export function toGupshupNumber(phone: string): string {
  return phone.replace(/\D/g, '');
}

/** Gupshup's `918x98xx21x4` -> respond.io's `+918x98xx21x4` (E.164). */
export function toE164(number: string): string {
  const digits = number.replace(/\D/g, '');
  return `+${digits}`;
}

/** respond.io mIds are at most 50 characters; WhatsApp ids (`wamid.…`) can be longer: a stable hash then. */
export function toMId(id: string): string {
  if (id.length <= 50) return id;
  return `wa-${createHash('sha256').update(id).digest('hex').slice(0, 40)}`;
}

function fileNameOf(url: string): string {
  try {
    const last = new URL(url).pathname.split('/').filter(Boolean).at(-1);
    return last ? decodeURIComponent(last) : 'file';
  } catch {
    return 'file';
  }
}

function numberedList(title: string, replies: readonly string[]): string {
  return [title, ...replies.map((reply, i) => `${i + 1}) ${reply}`)].join('\n');
}

/**
 * respond.io's message as Gupshup's `message` JSON. Quick replies: up to 3 short replies are
 * WhatsApp reply buttons, up to 10 a list, more (or longer titles) a numbered text.
 * `custom_payload` has no WhatsApp meaning: undefined (the adapter does not declare it).
 */
export function buildGupshupMessage(message: Message): GupshupMessage | undefined {
  switch (message.type) {
    case 'text':
      return { type: 'text', text: message.text };
    case 'attachment': {
      const { url, type } = message.attachment;
      const caption = message.attachment.description;
      if (type === 'image')
        return { type: 'image', originalUrl: url, previewUrl: url, ...(caption ? { caption } : {}) };
      if (type === 'video') return { type: 'video', url, ...(caption ? { caption } : {}) };
      if (type === 'audio') return { type: 'audio', url };
      return { type: 'file', url, filename: message.attachment.fileName ?? fileNameOf(url) };
    }
    case 'location':
      return {
        type: 'location',
        latitude: message.latitude,
        longitude: message.longitude,
        ...(message.address ? { name: message.address, address: message.address } : {}),
      };
    case 'quick_reply': {
      const { title, replies } = message;
      if (replies.length <= MAX_BUTTONS && replies.every((r) => r.length <= MAX_BUTTON_TITLE)) {
        return {
          type: 'quick_reply',
          content: { type: 'text', text: title },
          options: replies.map((reply) => ({ type: 'text', title: reply })),
        };
      }
      if (replies.length <= MAX_LIST_ROWS && replies.every((r) => r.length <= MAX_ROW_TITLE)) {
        return {
          type: 'list',
          body: title,
          globalButtons: [{ type: 'text', title: 'Choose' }],
          items: [
            {
              title: 'Options',
              options: replies.map((reply) => ({ type: 'text', title: reply, postbackText: reply })),
            },
          ],
        };
      }
      return { type: 'text', text: numberedList(title, replies) };
    }
    default:
      return undefined;
  }
}

/** The form body of `POST /msg`. */
export function buildSendForm(input: {
  source: string;
  appName: string;
  destination: string;
  message: GupshupMessage;
}) {
  return new URLSearchParams({
    channel: 'whatsapp',
    source: toGupshupNumber(input.source),
    destination: toGupshupNumber(input.destination),
    message: JSON.stringify(input.message),
    'src.name': input.appName,
  });
}

const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : Number(value));

/** An inbound message's content as respond.io's message, or undefined for types respond.io cannot show. */
export function inboundMessageOf(inbound: InboundPayload): Message | undefined {
  const content = inbound.payload ?? {};
  switch (inbound.type) {
    case 'text':
      return str(content.text) ? { type: 'text', text: content.text as string } : undefined;
    case 'image':
    case 'video':
    case 'audio':
    case 'file':
    case 'sticker': {
      const url = str(content.url);
      if (!url) return undefined;
      const attachment: Attachment = { type: inbound.type === 'sticker' ? 'image' : inbound.type, url };
      if (str(content.contentType)) attachment.mimeType = content.contentType as string;
      if (str(content.name)) attachment.fileName = content.name as string;
      if (str(content.caption)) attachment.description = content.caption as string;
      return { type: 'attachment', attachment };
    }
    case 'location': {
      const latitude = num(content.latitude);
      const longitude = num(content.longitude);
      if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return undefined;
      const address = [str(content.name), str(content.address)].filter(Boolean).join(', ');
      return { type: 'location', latitude, longitude, ...(address ? { address } : {}) };
    }
    // A tap on a reply button or a list row: respond.io gets the reply's text, as if typed.
    case 'button_reply':
    case 'list_reply':
    case 'quick_reply': {
      const text = str(content.title) ?? str(content.reply) ?? str(content.text);
      return text ? { type: 'text', text } : undefined;
    }
    default:
      return undefined;
  }
}

/** Gupshup's DLR event types -> respond.io statuses; `enqueued` (accepted by Gupshup) is not reported. */
export function statusOf(eventType: string | undefined): StatusValue | undefined {
  if (eventType === 'sent' || eventType === 'delivered' || eventType === 'read' || eventType === 'failed') {
    return eventType;
  }
  return undefined;
}

/** `Number Does Not Exists On WhatsApp (Gupshup code 1002)`. */
export function failureReason(event: EventPayload): string {
  const reason = str(event.payload?.reason) ?? 'Gupshup reported the message as failed';
  const code = event.payload?.code;
  return code === undefined ? reason : `${reason} (Gupshup code ${code})`;
}

/** Seconds or milliseconds -> milliseconds (Gupshup's `ts` is seconds, `timestamp` milliseconds). */
export function toMillis(value: unknown, fallback: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) return fallback;
  return n < 1e12 ? Math.round(n * 1000) : Math.round(n);
}
