/**
 * What to paste into respond.io, as data: `dev` prints it as a banner (or one NDJSON line)
 * at start and whenever the public URL changes. Tokens are masked here, before any output.
 */
import { maskSecret } from '../secrets.js';

export interface BannerInput {
  /** `respondio`: a real channel is configured; `emulator`: the embedded emulator plays respond.io. */
  mode: 'respondio' | 'emulator';
  adapterName: string;
  /** The bridge on loopback. */
  bridgeUrl: string;
  /** The tunnel's public URL; undefined with `--no-tunnel` or while the tunnel is down. */
  publicUrl?: string;
  channelId: string;
  token: string;
  /** Where the token came from: env, project, user, or emulator (generated). */
  tokenSource: string;
  /** Where the bridge posts events: respond.io's webhook, or the emulator's. */
  webhookUrl: string;
  emulatorUrl?: string;
  /** The mock provider or fixture stub, when one stands in for the provider. */
  providerUrl?: string;
  /** Adapter webhook route paths, e.g. `/webhooks/provider`. */
  webhookPaths: readonly string[];
  /** The inspector page, when it runs. */
  inspectorUrl?: string;
}

export interface Banner {
  mode: BannerInput['mode'];
  adapter: string;
  /** Paste into respond.io as "API Base URL"; respond.io calls `<apiBaseUrl>/message`. */
  apiBaseUrl: string;
  messageUrl: string;
  /** True when `apiBaseUrl` is only reachable from this machine. */
  localOnly: boolean;
  bridgeUrl: string;
  channelId: string;
  /** Masked. */
  token: string;
  tokenSource: string;
  webhookUrl: string;
  emulatorUrl?: string;
  providerUrl?: string;
  /** Full URLs to give the provider for its webhooks. */
  providerWebhooks: string[];
  inspectorUrl?: string;
}

/**
 * @example buildBanner({ mode: 'emulator', publicUrl: 'https://x.loca.lt', ... }).messageUrl // 'https://x.loca.lt/message'
 */
export function buildBanner(input: BannerInput): Banner {
  const base = input.publicUrl ?? input.bridgeUrl;
  return {
    mode: input.mode,
    adapter: input.adapterName,
    apiBaseUrl: base,
    messageUrl: `${base}/message`,
    localOnly: input.publicUrl === undefined,
    bridgeUrl: input.bridgeUrl,
    channelId: input.channelId,
    token: maskSecret(input.token),
    tokenSource: input.tokenSource,
    webhookUrl: input.webhookUrl,
    emulatorUrl: input.emulatorUrl,
    providerUrl: input.providerUrl,
    providerWebhooks: input.webhookPaths.map((path) => `${base}${path}`),
    inspectorUrl: input.inspectorUrl,
  };
}
