// Run by test/timeout-gc.test.ts as `node --expose-gc gc-timeout-child.mjs <deliver|emulator>`:
// starts a server that never answers, collects garbage every 10 ms while one call waits on it,
// and prints one JSON line saying whether the call's timeout fired (and how long it took).
import { createServer } from 'node:http';

const mode = process.argv[2];
const timeoutMs = 300;
const dist = new URL('../../dist/', import.meta.url);
const hang = createServer(() => {}); // accepts, reads, never answers
await new Promise((resolve) => hang.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${hang.address().port}`;
const collector = setInterval(() => globalThis.gc(), 10);
let started = Date.now();
const report = (fields) => {
  process.stdout.write(`${JSON.stringify({ ms: Date.now() - started, ...fields })}\n`);
  process.exit(0);
};
/** Called just before the call: the clock starts there, and gives up 20 timeouts later. */
const watch = () => {
  started = Date.now();
  setTimeout(() => report({ fired: false }), timeoutMs * 20).unref();
};

if (mode === 'deliver') {
  const { buildDeliver } = await import(new URL('bridge/deliver.js', dist).href);
  const deliver = buildDeliver({
    webhookUrl: `${base}/custom/channel/webhook/`,
    channel: { channelId: 'chan-gc', token: 'tok_gc_0123456789abcdefghijklmnopqrstuvwxyz' },
    fetch: globalThis.fetch,
    now: Date.now,
    timeoutMs,
  });
  const entry = {
    id: 'e-1',
    key: 'message_status:m-1:read',
    enqueuedAt: 0,
    attempts: 1,
    item: { contactId: 'c-1', event: { type: 'message_status', mId: 'm-1', timestamp: 1, status: { value: 'read' } } },
  };
  // Works with either shape of `Deliver`: one entry, or a batch (an array) of entries.
  const entryOrBatch = Object.assign([entry], entry);
  watch();
  const result = await deliver(entryOrBatch, new AbortController().signal);
  clearInterval(collector);
  report({ fired: true, error: result.error ?? null });
} else if (mode === 'emulator') {
  const { startEmulator } = await import(new URL('emulator/index.js', dist).href);
  const emulator = await startEmulator({ messageTimeoutMs: timeoutMs, rateLimitPerSecond: false });
  emulator.setApiBaseUrl(base);
  watch();
  const record = await emulator.sendMessage({ contactId: '+60177872890', message: { type: 'text', text: 'hi' } });
  clearInterval(collector);
  const failed = emulator.listMessages().find((m) => m.messageId === record.messageId);
  report({ fired: true, error: failed?.error ?? record.error ?? null, status: record.status?.value ?? null });
} else {
  throw new Error(`unknown mode ${mode}`);
}
