/**
 * HTTP details of the widget's endpoints. The widget posts JSON as `text/plain` (a "simple"
 * cross-origin request: no preflight), so the body is parsed here; the page's origin must be
 * this server's own or one of WEBCHAT_ALLOWED_ORIGINS.
 */
import type { AdapterContext, ProviderReply, ProviderRequest } from 'custom-channel';

/** Visitor requests larger than this are refused before parsing. */
export const MAX_BODY_BYTES = 16 * 1024;

/** The JSON object a widget request carries, or undefined. */
export function jsonBody(request: ProviderRequest): Record<string, unknown> | undefined {
  if (request.rawBody.length === 0 || request.rawBody.length > MAX_BODY_BYTES) return undefined;
  try {
    const value = JSON.parse(request.rawBody.toString('utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function allowedOrigins(ctx: AdapterContext): string[] {
  return (ctx.env.WEBCHAT_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter(Boolean);
}

/**
 * CORS headers for the request's origin, or undefined when that origin may not use the widget.
 * No Origin header (a server-side client) or the server's own origin are always fine.
 */
export function corsHeaders(request: ProviderRequest, ctx: AdapterContext): Record<string, string> | undefined {
  const origin = request.headers.origin;
  if (!origin) return {};
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return undefined;
  }
  const own = host === request.headers.host || host === request.headers['x-forwarded-host'];
  if (!own && !allowedOrigins(ctx).includes(origin)) return undefined;
  return { 'access-control-allow-origin': origin, vary: 'origin' };
}

export function forbiddenOrigin(request: ProviderRequest): ProviderReply {
  return {
    status: 403,
    body: {
      error: { message: `origin ${request.headers.origin} may not use this widget: add it to WEBCHAT_ALLOWED_ORIGINS` },
    },
  };
}

export function answer(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): { events: []; reply: ProviderReply } {
  return { events: [], reply: { status, headers: { 'cache-control': 'no-store', ...headers }, body } };
}
