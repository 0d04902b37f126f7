/**
 * The parts a dev session starts, behind small seams: the bridge, the emulator and a stand-in
 * provider. `loadDevServices` maps them to this package's implementations (lazy-imported);
 * tests and embedders can pass their own.
 */
import type { Adapter } from '../bridge/adapter.js';
import type { BridgeLogEntry } from '../bridge/logging.js';
import type { IdType } from '../contract/ids.js';
import type { EmulatorHandle } from '../emulator/types.js';
import type { ExchangeFeed } from '../exchange.js';
import type { ProviderMock } from '../mock-provider/types.js';

export interface DevBridgeOptions {
  /** Asked on every request, so adapter edits apply without a restart. */
  adapter: () => Promise<Adapter>;
  channel: { channelId: string; token: string; idType: IdType };
  /** Where the outbox delivers events (respond.io or the emulator). */
  webhookUrl: string;
  /** Provider settings for the adapter. */
  env: Record<string, string | undefined>;
  /** `.custom-channel/`: the outbox journal lives in `outbox/` below it. */
  stateDir: string;
  exchanges: ExchangeFeed;
  port: number;
  host: string;
  /** The shared Redis outbox instead of the file journal. */
  redisUrl?: string;
  /** The bridge's log lines (adapter `ctx.log`, delivery warnings), for the console. */
  onLog?: (entry: BridgeLogEntry) => void;
}

export interface DevBridge {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Idempotent; keeps undelivered outbox entries on disk. */
  close(): Promise<void>;
}

export interface DevEmulatorOptions {
  /** Credentials are generated once and kept in `<stateDir>/emulator.json`. */
  stateDir: string;
  idType: IdType;
}

/** What dev uses of the emulator; `subscribe` and `sendMessage` feed the inspector when present. */
export type DevEmulator = Pick<EmulatorHandle, 'url' | 'webhookUrl' | 'setApiBaseUrl' | 'close'> & {
  /** The emulated channel (its token is the bridge's token both ways). */
  readonly channel: { channelId: string; token: string; idType: IdType };
} & Partial<Pick<EmulatorHandle, 'subscribe' | 'sendMessage'>>;

export interface DevInspectorOptions {
  emulator?: DevEmulator;
  exchanges: ExchangeFeed;
  bridgeUrl: string;
  channelId: string;
  token: string;
  /** Values masked wherever they appear (provider keys and secrets). */
  secrets: string[];
  providerWebhookSecret?: string;
  /** `.custom-channel/inspector.ndjson` */
  historyFile: string;
  /** Preferred port (default 4040); the next free one is used when it is taken, 0 picks any. */
  port?: number;
}

export interface DevInspector {
  /** The page with its session token, e.g. `http://127.0.0.1:4040/?token=…`. */
  readonly url: string;
  /** The page without the token (base of API calls), when `url` carries it. */
  readonly baseUrl?: string;
  /** The session token the inspector's API requires (X-Inspector-Token). */
  readonly secret?: string;
  close(): Promise<void>;
}

export interface DevServices {
  startBridge(options: DevBridgeOptions): Promise<DevBridge>;
  startEmulator(options: DevEmulatorOptions): Promise<DevEmulator>;
  /** A stand-in for the provider offline, or undefined when the template has none. */
  startProvider(options: {
    root: string;
    template?: string;
    env?: Record<string, string | undefined>;
  }): Promise<ProviderMock | undefined>;
  /** The inspector page; optional (embedders and tests may leave it out). */
  startInspector?(options: DevInspectorOptions): Promise<DevInspector>;
}

/** Offline stand-in: the mock provider for the generic template, recorded fixtures for the others. */
export async function startStandInProvider(options: {
  root: string;
  template?: string;
  /** The project's settings: a key or webhook secret set there is the one the mock uses. */
  env?: Record<string, string | undefined>;
}): Promise<ProviderMock | undefined> {
  if (options.template === 'generic-http') {
    const { startMockProvider } = await import('../mock-provider/server.js');
    // The project's own secrets win over random ones, so its signed fixtures verify.
    return startMockProvider({
      apiKey: options.env?.PROVIDER_API_KEY || undefined,
      webhookSecret: options.env?.PROVIDER_WEBHOOK_SECRET || undefined,
    });
  }
  const { hasProviderStub, startProviderStub } = await import('../provider-stub/index.js');
  if (hasProviderStub(options.root)) return startProviderStub({ root: options.root });
  return undefined;
}

/** This package's bridge: the outbox journal in `<stateDir>/outbox`, user-fixable start errors as CliError. */
export async function startDevBridge(options: DevBridgeOptions): Promise<DevBridge> {
  const [{ startBridge }, { OutboxLockedError }, { CliError }] = await Promise.all([
    import('../bridge/start.js'),
    import('../outbox/lock.js'),
    import('../errors.js'),
  ]);
  try {
    return await startBridge({
      adapter: options.adapter,
      channel: options.channel,
      respondio: { webhookUrl: options.webhookUrl },
      env: options.env,
      stateDir: options.stateDir,
      exchanges: options.exchanges,
      host: options.host,
      port: options.port,
      redisUrl: options.redisUrl,
      onLog: options.onLog,
    });
  } catch (error) {
    if (error instanceof OutboxLockedError) {
      throw new CliError(`another bridge (pid ${error.pid}) is using this project's outbox`, {
        hint: "stop the other `custom-channel dev` or `start` first: one process delivers a channel's events",
      });
    }
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliError(`port ${options.port} is in use`, { hint: 'pass --port <free port> (0 picks one)' });
    }
    throw error;
  }
}

/** This package's emulator, one channel with credentials kept in `<stateDir>/emulator.json`. */
export async function startDevEmulator(options: DevEmulatorOptions): Promise<DevEmulator> {
  const { startEmulator } = await import('../emulator/server.js');
  return startEmulator({ stateDir: options.stateDir, channels: [{ idType: options.idType }] });
}

/** This package's inspector page, on loopback, its history in the project's state folder. */
export async function startDevInspector(options: DevInspectorOptions): Promise<DevInspector> {
  const [{ startInspector }, { findFreePort }] = await Promise.all([
    import('../inspector/server.js'),
    import('../lib/free-port.js'),
  ]);
  const { subscribe, sendMessage } = options.emulator ?? {};
  const start = (port: number) =>
    startInspector({
      port,
      emulator: subscribe && sendMessage ? { subscribe, sendMessage } : undefined,
      exchanges: options.exchanges,
      bridgeUrl: options.bridgeUrl,
      channelId: options.channelId,
      token: () => options.token,
      secrets: () => options.secrets,
      providerWebhookSecret: () => options.providerWebhookSecret,
      historyFile: options.historyFile,
    });
  const port = await findFreePort(options.port ?? DEFAULT_INSPECTOR_PORT, '127.0.0.1');
  try {
    return await start(port);
  } catch (error) {
    // Taken between the probe and the listen: any free port will do.
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw error;
    return start(0);
  }
}

/** The inspector's port unless told otherwise (ngrok's choice: people know to look there). */
export const DEFAULT_INSPECTOR_PORT = 4040;

/** This package's bridge, emulator, stand-in providers and inspector. */
export function loadDevServices(): DevServices {
  return {
    startBridge: startDevBridge,
    startEmulator: startDevEmulator,
    startProvider: startStandInProvider,
    startInspector: startDevInspector,
  };
}
