/**
 * Shapes shared by the inspector's server, its JSON API and its page. Type-only: the page
 * imports this file too, so nothing here may touch Node.
 */
import type { EmulatorEvent } from '../emulator/types.js';
import type { Exchange } from '../exchange.js';

/** A request the inspector re-sent (replay or edit-and-replay), recorded like an exchange. */
export interface ReplayRecord extends Exchange {
  /** `seq` of the history entry that was replayed. */
  replayOf: number;
}

/** One line of history: everything the page shows is rebuilt from these. */
export type Entry =
  | { seq: number; time: number; kind: 'exchange'; exchange: Exchange }
  | { seq: number; time: number; kind: 'replay'; exchange: ReplayRecord }
  | { seq: number; time: number; kind: 'emulator'; event: EmulatorEvent };

/** What the page learns from `GET /api/info`. Never holds a secret. */
export interface InspectorInfo {
  /** Where `compose` sends: through the emulator (as respond.io), straight to the bridge, or nowhere. */
  composeVia: 'emulator' | 'bridge' | 'none';
  bridgeUrl?: string;
  channelId?: string;
  /** The channel token, masked (`abcd…yz`), so the page can say which token is in use. */
  tokenMasked?: string;
  maxHistory: number;
  historyFile?: string;
}

/** Body of `POST /api/replay`. Omitted fields keep the captured request's value. */
export interface ReplayRequest {
  seq: number;
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  /** JSON value, or a string sent verbatim. */
  body?: unknown;
}

/** Answer of `POST /api/replay` and `POST /api/compose`. */
export interface SendOutcome {
  ok: boolean;
  status: number;
  latencyMs: number;
  body?: unknown;
  error?: string;
  /** The history entry recorded for a replay. */
  entry?: Entry;
}
