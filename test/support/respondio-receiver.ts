/** A stand-in for respond.io's webhook in `dev` tests: records bodies, answers with a settable status. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookReceiver {
  url: string;
  port: number;
  /** Status for the next requests (default 200). */
  status: number;
  bodies: Array<{ authorization?: string; body: unknown }>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const state = { status: 200 };
  const bodies: WebhookReceiver['bodies'] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      if (state.status === 200) {
        try {
          bodies.push({ authorization: req.headers.authorization, body: JSON.parse(text) });
        } catch {
          bodies.push({ authorization: req.headers.authorization, body: text });
        }
      }
      res
        .writeHead(state.status, { 'content-type': 'application/json' })
        .end(state.status === 200 ? '{"status":"ok"}' : '{"error":{"message":"down"}}');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}/custom/channel/webhook/`,
    port: actual,
    get status() {
      return state.status;
    },
    set status(value: number) {
      state.status = value;
    },
    bodies,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
