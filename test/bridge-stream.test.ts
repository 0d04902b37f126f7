/**
 * Streaming adapter routes: a webhook handler with `stream` answers with Server-Sent Events
 * after `verify`, may refuse with a reply, learns when the client leaves, and never holds the
 * bridge's `close()` open.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defineAdapter, type EventStream } from '../src/bridge/adapter.js';
import { type BridgeHandle, startBridge } from '../src/bridge/start.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length)
    await cleanups
      .pop()?.()
      .catch(() => {});
});

async function setUp() {
  const opened: EventStream[] = [];
  const adapter = defineAdapter({
    name: 'streamer',
    capabilities: { messageTypes: ['text'], statuses: ['sent'] },
    send: async () => ({ mId: 'm1' }),
    webhooks: [
      {
        path: '/chat/stream',
        verify: (request) => request.headers['x-key'] === 'k',
        handle: () => ({ events: [], reply: { status: 405 } }),
        stream: (request, ctx) => {
          if (request.query.refuse) return { status: 403, body: { error: { message: 'not from here' } } };
          return {
            headers: { 'access-control-allow-origin': 'https://shop.example' },
            open(stream) {
              opened.push(stream);
              stream.send({ event: 'hello\nevent: forged', id: '7', data: { text: 'line 1\nline 2', at: ctx.now() } });
            },
          };
        },
      },
    ],
  });
  const dir = await mkdtemp(join(tmpdir(), 'bridge-stream-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const bridge: BridgeHandle = await startBridge({
    adapter,
    channel: { channelId: 'c1', token: 't'.repeat(46), idType: 'custom' },
    respondio: { webhookUrl: 'http://127.0.0.1:9/unused' },
    stateDir: dir,
    now: () => 1767225600000,
  });
  cleanups.push(() => bridge.close());
  return { bridge, opened };
}

/** Reads from a streamed response until `pattern` shows up in what arrived. */
async function readUntil(response: Response, pattern: RegExp): Promise<string> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!pattern.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text;
}

describe('adapter streams', () => {
  it('verifies, then streams events with the handler headers; one event cannot forge another', async () => {
    const { bridge } = await setUp();
    const denied = await fetch(`${bridge.url}/chat/stream`);
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ error: { message: 'signature check failed' } });

    const response = await fetch(`${bridge.url}/chat/stream`, { method: 'POST', headers: { 'x-key': 'k' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const text = await readUntil(response, /data: .*\n\n/);
    expect(text).toContain(
      'event: hello event: forged\nid: 7\ndata: {"text":"line 1\\nline 2","at":1767225600000}\n\n',
    );
    await response.body?.cancel();
  });

  it('lets the handler refuse with a reply', async () => {
    const { bridge } = await setUp();
    const response = await fetch(`${bridge.url}/chat/stream?refuse=1`, { headers: { 'x-key': 'k' } });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: { message: 'not from here' } });
  });

  it('aborts the stream signal when the client leaves; send then reports false', async () => {
    const { bridge, opened } = await setUp();
    const controller = new AbortController();
    const response = await fetch(`${bridge.url}/chat/stream`, { headers: { 'x-key': 'k' }, signal: controller.signal });
    await readUntil(response, /data: /);
    controller.abort();
    await expect.poll(() => opened[0]?.signal.aborted).toBe(true);
    expect(opened[0].send({ data: 'late' })).toBe(false);
  });

  it('ends open streams when the bridge closes, without waiting for the clients', async () => {
    const { bridge, opened } = await setUp();
    const response = await fetch(`${bridge.url}/chat/stream`, { headers: { 'x-key': 'k' } });
    await readUntil(response, /data: /);
    const started = performance.now();
    await bridge.close();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(opened[0].signal.aborted).toBe(true);
    const rest = await readUntil(response, /$^/); // reads to the end: the server ended the stream
    expect(rest).toBe('');
  });
});
