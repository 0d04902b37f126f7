/**
 * Support for the emulator tests: an emulator on port 0 with credentials in a temp dir, a
 * webhook poster, and a local integration server whose `/message` answer depends on the
 * contact: `+60100000001` {mId}, `+60100000002` 400 with error.message, `+60100000003` 200
 * without mId, `+60100000004` never answers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../src/emulator/index.js';
import type { EmulatorHandle, EmulatorOptions } from '../../src/emulator/types.js';

export const CONTACTS = {
  ok: '+60100000001',
  error400: '+60100000002',
  noMId: '+60100000003',
  silent: '+60100000004',
} as const;

export interface TestEmulator extends EmulatorHandle {
  stateDir: string;
  /** POSTs a webhook body with the first channel's token (or `token`). */
  post(
    body: unknown,
    init?: { token?: string | null; authorization?: string; contentType?: string; raw?: string },
  ): Promise<Answer>;
  dispose(): Promise<void>;
}

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers' JSON loosely and assert on it
  body: any;
  headers: Headers;
}

export async function answerOf(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // kept as text
  }
  return { status: res.status, body, headers: res.headers };
}

export async function startTestEmulator(options: EmulatorOptions = {}): Promise<TestEmulator> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'emulator-test-')));
  const emulator = await startEmulator({ port: 0, ...options, stateDir });
  const post: TestEmulator['post'] = async (body, init = {}) => {
    const headers: Record<string, string> = { 'content-type': init.contentType ?? 'application/json' };
    if (init.authorization !== undefined) headers.authorization = init.authorization;
    else if (init.token !== null) headers.authorization = `Bearer ${init.token ?? emulator.channel.token}`;
    const res = await fetch(emulator.webhookUrl, {
      method: 'POST',
      headers,
      body: init.raw ?? JSON.stringify(body),
    });
    return answerOf(res);
  };
  return Object.assign(emulator, {
    stateDir,
    post,
    async dispose() {
      await emulator.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  });
}

/** A valid webhook body for the emulator's first channel. */
export function webhookBody(
  emulator: EmulatorHandle,
  events: unknown[],
  extra: Record<string, unknown> = {},
  contactId: string = CONTACTS.ok,
): Record<string, unknown> {
  return { channelId: emulator.channel.channelId, contactId, events, ...extra };
}

let mIdSeq = 0;
export function textEvent(text = 'hello', mId = `in-${++mIdSeq}`, timestamp = Date.now()) {
  return { type: 'message', mId, timestamp, message: { type: 'text', text } };
}

export function statusEvent(mId: string, value: string, timestamp = Date.now(), message?: string) {
  return { type: 'message_status', mId, timestamp, status: { value, ...(message ? { message } : {}) } };
}

export interface IntegrationServer {
  url: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read requests' JSON loosely and assert on it
  requests: Array<{ authorization?: string; body: any }>;
  close(): Promise<void>;
}

/** The integration server under test: answers `/message` by contact (see the file comment). */
export async function startIntegrationServer(): Promise<IntegrationServer> {
  const requests: IntegrationServer['requests'] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(text);
      requests.push({ authorization: req.headers.authorization, body });
      const json = (status: number, value: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      switch (body.contactId) {
        case CONTACTS.error400:
          return json(400, { error: { message: 'provider rejected the number' } });
        case CONTACTS.noMId:
          return json(200, { ok: true });
        case CONTACTS.silent:
          return; // never answers
        default:
          return json(200, { mId: `prov-${++n}` });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
