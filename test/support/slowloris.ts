/**
 * A slow client: sends a request's headers (or part of them) and then one byte of body every
 * `everyMs`, and reports when the server cut the connection and what it answered.
 */
import { connect } from 'node:net';

export interface SlowResult {
  /** Milliseconds from the first byte until the server closed the connection. */
  closedAfterMs: number;
  /** What the server wrote back (Node answers 408 on a request timeout). */
  response: string;
}

export function slowRequest(
  url: string,
  options: { path: string; headersOnly?: boolean; everyMs?: number; giveUpMs?: number },
): Promise<SlowResult> {
  const { hostname, port } = new URL(url);
  const everyMs = options.everyMs ?? 100;
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const started = Date.now();
    let response = '';
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server held a slow request for ${options.giveUpMs ?? 5000} ms`));
    }, options.giveUpMs ?? 5000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      response += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(giveUp);
      clearInterval(timer);
      resolve({ closedAfterMs: Date.now() - started, response });
    });
    socket.on('connect', () => {
      const head = `POST ${options.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n`;
      socket.write(options.headersOnly ? head : `${head}\r\n{"a":"`);
      timer = setInterval(() => {
        if (!socket.destroyed) socket.write(options.headersOnly ? 'X-Slow: 1\r\n' : 'a');
      }, everyMs);
    });
  });
}
