/**
 * The provider's wire format (a JSON-over-HTTP messaging API) and its mapping to and from
 * respond.io's messages. Adapting this template to your provider mostly means editing this file.
 */
import { createHmac } from 'node:crypto';
import { type Contact, type Message, type StatusValue, safeEqual } from 'custom-channel';

export type ProviderType = 'text' | 'image' | 'video' | 'audio' | 'file' | 'location' | 'buttons' | 'data';

/** Message content, the same in sends, inbound messages and echoes. */
export interface ProviderContent {
  type: ProviderType;
  text?: string;
  mediaUrl?: string;
  fileName?: string;
  mimeType?: string;
  caption?: string;
  latitude?: number;
  longitude?: number;
  address?: string;
  buttons?: string[];
  data?: Record<string, unknown>;
}

/** `POST /v1/messages` body. */
export interface ProviderSend extends ProviderContent {
  to: string;
  callbackUrl?: string;
}

/** `200` answer to a send. */
export interface ProviderAccepted {
  id: string;
  status: string;
}

/** Error answer: `{ "error": { "code", "message" } }`. */
export interface ProviderFailure {
  error?: { code?: string; message?: string };
}

export type ProviderCallback =
  | { kind: 'status'; messageId: string; to: string; status: StatusValue; error?: string; timestamp: number }
  | ({ kind: 'message'; messageId: string; from: string; fromName?: string; timestamp: number } & ProviderContent)
  | ({ kind: 'echo'; messageId: string; to: string; timestamp: number } & ProviderContent);

/** The header the provider signs callbacks with: `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const SIGNATURE_HEADER = 'x-provider-signature';

/** Constant-time check of a callback's signature. */
export function verifySignature(rawBody: Buffer, header: string | undefined, secret: string): boolean {
  if (!header || !secret) return false;
  const expected = `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
  return safeEqual(header, expected);
}

/** respond.io message -> provider content. Every respond.io type has a provider equivalent. */
export function toProviderContent(message: Message): ProviderContent {
  switch (message.type) {
    case 'text':
      return { type: 'text', text: message.text };
    case 'attachment': {
      const { type, url, fileName, mimeType, description } = message.attachment;
      return { type, mediaUrl: url, fileName, mimeType, caption: description };
    }
    case 'location':
      return { type: 'location', latitude: message.latitude, longitude: message.longitude, address: message.address };
    case 'quick_reply':
      return { type: 'buttons', text: message.title, buttons: message.replies };
    case 'custom_payload':
      return { type: 'data', data: message.payload };
  }
}

/** Drops undefined fields so bodies compare cleanly with the fixtures. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Provider content -> respond.io message, or `undefined` when a required field is missing. */
export function fromProviderContent(content: ProviderContent): Message | undefined {
  switch (content.type) {
    case 'text':
      return content.text ? { type: 'text', text: content.text } : undefined;
    case 'image':
    case 'video':
    case 'audio':
    case 'file':
      if (!content.mediaUrl) return undefined;
      return {
        type: 'attachment',
        attachment: compact({
          type: content.type,
          url: content.mediaUrl,
          mimeType: content.mimeType,
          fileName: content.fileName,
          // respond.io's attachment `description` is a grade C field: kept so no caption is lost.
          description: content.caption,
        }),
      };
    case 'location':
      if (typeof content.latitude !== 'number' || typeof content.longitude !== 'number') return undefined;
      return compact({
        type: 'location' as const,
        latitude: content.latitude,
        longitude: content.longitude,
        address: content.address,
      });
    case 'buttons':
      if (!content.text || !content.buttons?.length) return undefined;
      return { type: 'quick_reply', title: content.text, replies: content.buttons };
    case 'data':
      return content.data ? { type: 'custom_payload', payload: content.data } : undefined;
    default:
      return undefined;
  }
}

/** The contact respond.io creates from an inbound message: the name, and the phone for phone IDs. */
export function contactOf(from: string, fromName: string | undefined, phoneIds: boolean): Contact | undefined {
  const contact: Contact = {};
  if (fromName?.trim()) {
    const [firstName, ...rest] = fromName.trim().split(/\s+/);
    contact.firstName = firstName;
    if (rest.length > 0) contact.lastName = rest.join(' ');
  }
  if (phoneIds && /^\+[1-9]\d{6,14}$/.test(from)) contact.phone = from;
  return Object.keys(contact).length > 0 ? contact : undefined;
}
