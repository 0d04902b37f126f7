/**
 * The bridge's hot-path shortcuts keep the behaviour of the long way: the hand-checked text
 * message answers exactly as the schema does, and request lines are one per request, at debug
 * when the answer is a success and at info when it is a refusal.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBridge } from '../src/bridge/index.js';
import { MessageRequestSchema, parseMessageRequest } from '../src/contract/message-endpoint.js';
import { buildTestAdapter } from './support/bridge-adapter.js';
import { useCleanups } from './support/cleanups.js';

const defer = useCleanups('each');
const TOKEN = 'tok_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH';
const text = (extra: Record<string, unknown> = {}) => ({ type: 'text', text: 'hello', ...extra });
const body = (extra: Record<string, unknown> = {}) => ({
  channelId: 'c',
  contactId: '+60177872890',
  message: text(),
  ...extra,
});

describe('parseMessageRequest', () => {
  it.each([
    ['a text message', body()],
    ['an empty channelId', body({ channelId: '' })],
    ['a numeric contactId', body({ contactId: 60177872890 })],
    ['a 50-character contactId', body({ contactId: 'x'.repeat(50) })],
    ['a 51-character contactId', body({ contactId: 'x'.repeat(51) })],
    ['an extra key', body({ sender: 'x' })],
    ['an empty text', body({ message: text({ text: '' }) })],
    ['a text with an extra key', body({ message: text({ mId: 'x' }) })],
    ['a missing text', body({ message: { type: 'text' } })],
    ['an attachment', body({ message: { type: 'attachment', attachment: { type: 'image', url: 'https://x/y.png' } } })],
    ['an array', [body()]],
    [
      'a __proto__ key',
      JSON.parse('{"channelId":"c","contactId":"1","message":{"type":"text","text":"x"},"__proto__":{}}'),
    ],
    ['null', null],
  ])('answers %s as the schema does', (_name, input) => {
    const fast = parseMessageRequest(input);
    const schema = MessageRequestSchema.safeParse(input);
    expect(fast.success).toBe(schema.success);
    if (fast.success && schema.success) expect(JSON.stringify(fast.data)).toBe(JSON.stringify(schema.data));
    else expect(fast.error?.issues).toEqual(schema.error?.issues);
  });
});

describe('request lines', () => {
  it('writes one line per request: debug for a success, info for a refusal', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hot-path-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    const run = async (level: string) => {
      const lines: Array<Record<string, unknown>> = [];
      const app = buildBridge({
        adapter: buildTestAdapter(),
        channel: { channelId: 'c', token: TOKEN, idType: 'phone' },
        respondio: { webhookUrl: 'http://127.0.0.1:9/' },
        stateDir: join(dir, level),
        logger: { level, stream: { write: (line: string) => lines.push(JSON.parse(line)) } },
      });
      defer(() => app.close());
      await app.ready();
      lines.length = 0;
      const ok = await app.inject({
        method: 'POST',
        url: '/message',
        headers: { authorization: `Bearer ${TOKEN}` },
        payload: body(),
      });
      const refused = await app.inject({
        method: 'POST',
        url: '/message',
        headers: { authorization: 'Bearer nope' },
        payload: body(),
      });
      expect([ok.statusCode, refused.statusCode]).toEqual([200, 401]);
      return lines.filter((line) => typeof line.reqId === 'string');
    };
    const debug = await run('debug');
    expect(debug.map((l) => [l.level, l.msg, (l.res as { statusCode: number }).statusCode])).toEqual([
      [20, 'request completed', 200],
      [30, 'request completed', 401],
    ]);
    expect(debug[0].req).toMatchObject({ method: 'POST', url: '/message' });
    expect(debug[0].reqId).not.toBe(debug[1].reqId);
    const info = await run('info');
    expect(info.map((l) => [l.level, (l.res as { statusCode: number }).statusCode])).toEqual([[30, 401]]);
  });
});
