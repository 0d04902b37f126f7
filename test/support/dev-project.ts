/**
 * A minimal scaffolded project in a temp folder for `dev` tests (until `init` lands): a
 * package.json with `customChannel`, and a small generic-http adapter in TypeScript that
 * imports `custom-channel` (resolved by dev's loader to this checkout's dist/).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The generic HTTP provider protocol: send to PROVIDER_API_URL, callbacks on /webhooks/provider. */
export function genericAdapterSource(greeting = 'v1'): string {
  return `import { createHmac, timingSafeEqual } from 'node:crypto';
import { AdapterError, defineAdapter } from 'custom-channel';

const VERSION = ${JSON.stringify(greeting)};

export default defineAdapter({
  name: 'generic-test-' + VERSION,
  capabilities: { messageTypes: ['text'], statuses: ['sent', 'delivered', 'read', 'failed'] },
  async send({ contactId, message }, ctx) {
    if (message.type !== 'text') throw new AdapterError('text only');
    if (message.text === 'which version?') return { mId: 'version-' + VERSION };
    const response = await ctx.fetch(ctx.env.PROVIDER_API_URL + '/v1/messages', {
      method: 'POST',
      headers: { authorization: 'Bearer ' + ctx.env.PROVIDER_API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ to: contactId, type: 'text', text: message.text }),
      signal: ctx.signal,
    });
    const body = await response.json();
    if (!response.ok) throw new AdapterError(body?.error?.message ?? 'provider error', 400);
    return { mId: body.id };
  },
  webhooks: [
    {
      path: '/webhooks/provider',
      verify(request, ctx) {
        const expected = 'sha256=' + createHmac('sha256', ctx.env.PROVIDER_WEBHOOK_SECRET ?? '').update(request.rawBody).digest('hex');
        const given = String(request.headers['x-provider-signature'] ?? '');
        return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
      },
      handle(request) {
        const body = request.body;
        if (body.kind === 'status') {
          return {
            events: [
              {
                contactId: body.to,
                event: {
                  type: 'message_status',
                  mId: body.messageId,
                  timestamp: body.timestamp,
                  status: body.error ? { value: body.status, message: body.error } : { value: body.status },
                },
              },
            ],
          };
        }
        if (body.kind === 'message') {
          return {
            events: [
              {
                contactId: body.from,
                event: { type: 'message', mId: body.messageId, timestamp: body.timestamp, message: { type: 'text', text: body.text ?? '' } },
              },
            ],
          };
        }
        return { events: [] };
      },
    },
  ],
});
`;
}

export interface DevProject {
  root: string;
  adapterPath: string;
  /** Rewrites the adapter with another version marker. */
  writeAdapter(version: string): Promise<void>;
}

/** Creates the project; `template: 'generic-http'` makes dev start the mock provider. */
export async function createDevProject(options: { template?: string } = {}): Promise<DevProject> {
  const root = await mkdtemp(join(tmpdir(), 'cc-dev-'));
  await mkdir(join(root, 'src'));
  await writeFile(
    join(root, 'package.json'),
    `${JSON.stringify(
      {
        name: 'dev-test-project',
        private: true,
        type: 'module',
        customChannel: { adapter: 'src/adapter.ts', template: options.template ?? 'generic-http', idType: 'phone' },
      },
      null,
      2,
    )}\n`,
  );
  const adapterPath = join(root, 'src', 'adapter.ts');
  const writeAdapter = (version: string) => writeFile(adapterPath, genericAdapterSource(version));
  await writeAdapter('v1');
  return { root, adapterPath, writeAdapter };
}
