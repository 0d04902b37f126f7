/** `startBridge`: the bridge listening on a port, with an idempotent `close()`. */
import type { AddressInfo } from 'node:net';
import type { ExchangeFeed } from '../exchange.js';
import type { Outbox } from '../outbox/types.js';
import { type BridgeApp, buildBridge } from './build.js';
import type { StartBridgeOptions } from './options.js';

export interface BridgeHandle {
  /** e.g. `http://127.0.0.1:4100` */
  readonly url: string;
  readonly port: number;
  readonly app: BridgeApp;
  readonly outbox: Outbox;
  readonly exchanges: ExchangeFeed;
  /** Stops accepting, lets in-flight requests and deliveries finish (undelivered events stay on disk). Idempotent. */
  close(): Promise<void>;
}

/**
 * Builds and starts the bridge (host 127.0.0.1 and a free port unless given).
 * @example const bridge = await startBridge({ adapter, channel, respondio: { webhookUrl }, stateDir }); await bridge.close()
 */
export async function startBridge(options: StartBridgeOptions): Promise<BridgeHandle> {
  const app = buildBridge(options);
  const host = options.host ?? '127.0.0.1';
  try {
    await app.listen({ host, port: options.port ?? 0 });
  } catch (error) {
    await app.close().catch(() => {});
    throw error;
  }
  const { port } = app.server.address() as AddressInfo;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`,
    port,
    app,
    outbox: app.bridge.outbox,
    exchanges: app.bridge.exchanges,
    close() {
      closing ??= (async () => {
        // A keep-alive connection whose request was in flight at close() turns idle only after
        // its answer; Node closes idle ones once, at close(): sweep until the server is closed.
        const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
        try {
          await app.close();
        } finally {
          clearInterval(sweep);
        }
      })();
      return closing;
    },
  };
}
