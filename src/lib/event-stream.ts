/**
 * A small Server-Sent Events client on fetch: enough for the emulator's `/_emulator/events`
 * and the inspector's `/api/stream` (the other end is always one of ours, on loopback).
 */

export interface StreamMessage {
  event: string;
  data: string;
  id?: string;
}

export interface EventStream {
  /** Idempotent. */
  close(): void;
}

export interface OpenEventStreamOptions {
  headers?: Record<string, string>;
  onMessage(message: StreamMessage): void;
  /** The stream ended or broke (not called after `close()`). */
  onEnd?(error?: unknown): void;
  /** Resolve only once a message with this event name arrived (e.g. the inspector's `ready`). */
  readyEvent?: string;
  /** Give up connecting after this long (default 3000 ms). */
  timeoutMs?: number;
}

/** Splits one SSE block into its fields; comments (`: ...`) answer undefined. */
export function parseStreamBlock(block: string): StreamMessage | undefined {
  let event = 'message';
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  return data.length === 0 && event === 'message' ? undefined : { event, data: data.join('\n'), id };
}

/**
 * Opens the stream; resolves once the server is sending (its subscription is in place).
 * @example const stream = await openEventStream(`${url}/_emulator/events`, { onMessage: (m) => console.log(m.data) })
 */
export async function openEventStream(url: string, options: OpenEventStreamOptions): Promise<EventStream> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer from ${url}`)), options.timeoutMs ?? 3000);
  let closed = false;
  const close = () => {
    closed = true;
    controller.abort();
  };
  try {
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', ...options.headers },
      signal: controller.signal,
    });
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => {});
      throw new Error(`${url} answered HTTP ${response.status}`);
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let ready: (() => void) | undefined;
    const readyPromise = options.readyEvent
      ? new Promise<void>((resolve, reject) => {
          ready = resolve;
          controller.signal.addEventListener('abort', () => reject(controller.signal.reason));
        })
      : Promise.resolve();
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value.replace(/\r\n?/g, '\n');
          let end = buffer.indexOf('\n\n');
          while (end !== -1) {
            const message = parseStreamBlock(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf('\n\n');
            if (!message) continue;
            if (message.event === options.readyEvent) ready?.();
            options.onMessage(message);
          }
        }
        if (!closed) options.onEnd?.();
      } catch (error) {
        if (!closed) options.onEnd?.(error);
      }
    })();
    await readyPromise;
    clearTimeout(timer);
    return { close };
  } catch (error) {
    clearTimeout(timer);
    close();
    throw error;
  }
}
