/**
 * A test adapter for the bridge: behaviour chosen by the message text ("fail", "crash",
 * "slow", "bad-mid"), an HMAC-signed webhook taking JSON or form-urlencoded bodies, and a
 * GET handshake. It records the raw bodies it saw so tests can compare bytes.
 */
import { createHmac } from 'node:crypto';
import { type Adapter, AdapterError, type BridgeEvent, defineAdapter, type ProviderRequest } from '../../src/index.js';

export const TEST_SECRET = 'test-webhook-secret';
export const WEBHOOK = '/webhooks/test';

export function sign(raw: string | Buffer, secret = TEST_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

export interface TestAdapter extends Adapter {
  seen: ProviderRequest[];
  sends: Array<{ contactId: string; text?: string }>;
}

/** Turns one webhook body into events: `{ from, id, text }`, `{ messages: [...] }`, or a status. */
function eventsOf(body: Record<string, unknown>): BridgeEvent[] {
  if (Array.isArray(body.messages)) return (body.messages as Record<string, unknown>[]).flatMap(eventsOf);
  if (body.status) {
    return [
      {
        contactId: String(body.to),
        event: {
          type: 'message_status',
          mId: String(body.id),
          timestamp: Number(body.ts ?? 1767225600000),
          status: { value: body.status as 'sent' },
        },
      },
    ];
  }
  return [
    {
      contactId: String(body.from ?? body.From),
      event: {
        type: 'message',
        mId: String(body.id ?? body.MessageSid),
        timestamp: Number(body.ts ?? 1767225600000),
        message: { type: 'text', text: String(body.text ?? body.Body) },
      },
    },
  ];
}

export function buildTestAdapter(): TestAdapter {
  const seen: ProviderRequest[] = [];
  const sends: TestAdapter['sends'] = [];
  const adapter = defineAdapter({
    name: 'test',
    capabilities: { messageTypes: ['text', 'attachment'], attachmentTypes: ['image'], statuses: ['sent', 'delivered'] },
    async send(input, ctx) {
      const text = input.message.type === 'text' ? input.message.text : undefined;
      sends.push({ contactId: input.contactId, text });
      if (text === 'fail') throw new AdapterError('provider refused: invalid recipient', 422);
      if (text === 'crash') throw new Error('provider exploded');
      if (text === 'bad-mid') return { mId: 'x'.repeat(51) };
      if (text === 'slow') {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        return { mId: 'too-late' };
      }
      if (text === 'call' && ctx.env.PROVIDER_URL) {
        const response = await ctx.fetch(`${ctx.env.PROVIDER_URL}/v1/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ctx.env.PROVIDER_API_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ to: input.contactId, type: 'text', text }),
        });
        const answer = (await response.json()) as { id: string };
        return { mId: answer.id };
      }
      return { mId: `m-${sends.length}` };
    },
    webhooks: [
      {
        path: WEBHOOK,
        verify: (request) => request.headers['x-test-signature'] === sign(request.rawBody, TEST_SECRET),
        handshake: (request) =>
          request.query['hub.verify_token'] === 'let-me-in'
            ? { status: 200, headers: { 'content-type': 'text/plain' }, body: request.query['hub.challenge'] ?? '' }
            : undefined,
        handle(request) {
          seen.push(request);
          const body = request.body as Record<string, unknown>;
          if (body && typeof body === 'object' && body.reject)
            return { events: [], reply: { status: 400, body: 'no' } };
          return { events: eventsOf(body), reply: { status: 200, body: { received: true } } };
        },
      },
    ],
  });
  return Object.assign(adapter, { seen, sends });
}
