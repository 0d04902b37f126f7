/** What a dev session reports, in order; `--json` prints each as one NDJSON line. */
import type { BridgeLogEntry } from '../bridge/logging.js';
import type { Exchange } from '../exchange.js';
import type { TunnelEvent } from '../tunnel/supervisor.js';
import type { ReloadEvent } from './adapter-reloader.js';
import type { Banner } from './banner.js';

export type DevEvent =
  | {
      type: 'ready';
      mode: Banner['mode'];
      project: string;
      bridgeUrl: string;
      emulatorUrl?: string;
      providerUrl?: string;
      /** The inspector page. */
      inspectorUrl?: string;
      tunnel: 'localtunnel' | 'url' | 'none';
    }
  | { type: 'banner'; banner: Banner }
  | { type: 'tunnel'; event: TunnelEvent }
  | { type: 'exchange'; exchange: Exchange }
  | ({ type: 'reload' } & ReloadEvent)
  | { type: 'warning'; message: string }
  /** A bridge log line: the adapter's `ctx.log`, failing deliveries, dead letters. */
  | ({ type: 'log' } & BridgeLogEntry)
  | { type: 'stopping'; signal: string }
  | { type: 'stopped'; outbox: string; durationMs: number };

export type DevListener = (event: DevEvent) => void;
