/**
 * The Generic HTTP provider protocol, as the mock provider speaks it (and the generic-http
 * template's adapter too): the send request, the callback bodies and their HMAC signature.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { safeEqual } from '../secrets.js';

export const providerMessageTypes = ['text', 'image', 'video', 'audio', 'file', 'location', 'buttons', 'data'] as const;
export type ProviderMessageType = (typeof providerMessageTypes)[number];

/** Route on the integration server (the bridge) that receives every provider callback. */
export const CALLBACK_PATH = '/webhooks/provider';
/** Header carrying `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const SIGNATURE_HEADER = 'x-provider-signature';

const ContentShape = {
  text: z.string().min(1).optional(),
  mediaUrl: z.url().optional(),
  fileName: z.string().min(1).optional(),
  mimeType: z.string().min(1).optional(),
  caption: z.string().optional(),
  latitude: z.number().min(-90).max(90).optional(),
  longitude: z.number().min(-180).max(180).optional(),
  address: z.string().optional(),
  buttons: z.array(z.string().min(1)).min(1).max(10).optional(),
  data: z.record(z.string(), z.unknown()).optional(),
};

/** What each type needs besides `type`: the mock refuses a send that lacks it (400). */
const required: Record<ProviderMessageType, Array<keyof typeof ContentShape>> = {
  text: ['text'],
  image: ['mediaUrl'],
  video: ['mediaUrl'],
  audio: ['mediaUrl'],
  file: ['mediaUrl'],
  location: ['latitude', 'longitude'],
  buttons: ['text', 'buttons'],
  data: ['data'],
};

function requireFields<T extends { type: ProviderMessageType }>(value: T, ctx: z.RefinementCtx) {
  for (const field of required[value.type]) {
    if ((value as Record<string, unknown>)[field] === undefined) {
      ctx.addIssue({ code: 'custom', path: [field], message: `is required for type "${value.type}"` });
    }
  }
}

/** `POST /v1/messages` body. */
export const ProviderSendSchema = z
  .object({
    to: z.string().min(1),
    type: z.enum(providerMessageTypes),
    ...ContentShape,
    callbackUrl: z.url().optional(),
  })
  .superRefine(requireFields);
export type ProviderSend = z.infer<typeof ProviderSendSchema>;

/** Message content as it travels in sends, inbound and echo callbacks. */
export const ProviderContentSchema = z
  .object({ type: z.enum(providerMessageTypes), ...ContentShape })
  .superRefine(requireFields);
export type ProviderContent = z.infer<typeof ProviderContentSchema>;

export type ProviderStatus = 'sent' | 'delivered' | 'read' | 'failed';

export interface StatusCallback {
  kind: 'status';
  messageId: string;
  to: string;
  status: ProviderStatus;
  error?: string;
  timestamp: number;
}
export type InboundCallback = {
  kind: 'message';
  messageId: string;
  from: string;
  fromName?: string;
  timestamp: number;
} & ProviderContent;
export type EchoCallback = { kind: 'echo'; messageId: string; to: string; timestamp: number } & ProviderContent;
export type ProviderCallback = StatusCallback | InboundCallback | EchoCallback;

/**
 * The signature header value for a raw callback body.
 * @example signBody('{"kind":"status"}', 'whsec') // 'sha256=5c1f...'
 */
export function signBody(rawBody: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** Constant-time check of a signature header against the raw body. */
export function verifySignature(rawBody: string | Buffer, header: string | undefined, secret: string): boolean {
  if (!header) return false;
  return safeEqual(header, signBody(rawBody, secret));
}

/** The provider's error body: `{ "error": { "code", "message" } }`. */
export function providerError(code: string, message: string) {
  return { error: { code, message } };
}
