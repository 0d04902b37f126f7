/**
 * Visitor identity: a random visitor ID (the respond.io Custom ID) and a token that proves it,
 * `<visitorId>.<HMAC-SHA256(secret, visitorId)>`. Only this server can make a token; a visitor
 * keeps theirs in the browser's localStorage and sends it with every request.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from 'custom-channel';

/** Shorter secrets are refused: a token is only as strong as the key that signs it. */
export const MIN_SECRET_LENGTH = 32;

/** respond.io's Custom ID alphabet (1 to 50 of A-Z a-z 0-9 _ = + / @). */
const CUSTOM_ID = /^[A-Za-z0-9_=+/@]{1,50}$/;

/** Why the secret cannot sign tokens, or undefined when it can. */
export function secretProblem(secret: string | undefined): string | undefined {
  if (!secret) return 'WEBCHAT_SECRET is not set: copy .env.example to .env and set a long random string';
  if (secret.length < MIN_SECRET_LENGTH) return `WEBCHAT_SECRET must be at least ${MIN_SECRET_LENGTH} characters`;
  return undefined;
}

/** A new visitor: `v` and 24 random hex digits (96 bits), a valid respond.io Custom ID. */
export function newVisitorId(): string {
  return `v${randomBytes(12).toString('hex')}`;
}

function signature(secret: string, visitorId: string): string {
  return createHmac('sha256', secret).update(`webchat-visitor:${visitorId}`).digest('base64url');
}

/**
 * The token of a visitor.
 * @example mintToken(secret, 'v1a2b3c…') // 'v1a2b3c….Jx8…'
 */
export function mintToken(secret: string, visitorId: string): string {
  return `${visitorId}.${signature(secret, visitorId)}`;
}

/** The visitor a token proves, or undefined for a forged, malformed or foreign token. */
export function verifyToken(secret: string | undefined, token: unknown): string | undefined {
  if (secretProblem(secret) || typeof token !== 'string' || token.length > 200) return undefined;
  const dot = token.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const visitorId = token.slice(0, dot);
  if (!CUSTOM_ID.test(visitorId)) return undefined;
  return safeEqual(token.slice(dot + 1), signature(secret as string, visitorId)) ? visitorId : undefined;
}
