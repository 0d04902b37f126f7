/**
 * A dev session as a library: the project's adapter (hot-reloaded) behind the bridge, the
 * emulator and a stand-in provider unless a real channel is configured, and a supervised
 * tunnel. `runDev` renders it; tests drive it directly.
 */
import { join } from 'node:path';
import type { IdType } from '../contract/ids.js';
import { messageOf } from '../errors.js';
import { ExchangeFeed } from '../exchange.js';
import type { ProviderMock } from '../mock-provider/types.js';
import { createLocaltunnelOpener } from '../tunnel/localtunnel.js';
import { createStaticOpener } from '../tunnel/static.js';
import { startTunnelSupervisor, type TunnelSupervisor } from '../tunnel/supervisor.js';
import type { TunnelOpener } from '../tunnel/types.js';
import { startAdapterReloader } from './adapter-reloader.js';
import { type Banner, buildBanner } from './banner.js';
import type { DevEvent, DevListener } from './events.js';
import type { DevCliOptions } from './options.js';
import { type DevInspector, type DevServices, loadDevServices } from './services.js';
import { publishSession } from './session-file.js';

export interface DevOptions extends DevCliOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  onEvent?: DevListener;
  /** Folder of the user config store (tests). */
  userConfigDir?: string;
  /** Replaces the tunnel provider (tests, other providers). */
  tunnelOpener?: TunnelOpener;
  /** Replaces the bridge/emulator/provider starters (tests). */
  services?: DevServices;
  /** How long to wait for the first tunnel before showing the local-only banner (default 4 s). */
  localBannerAfterMs?: number;
  /** Publish the session in `<stateDir>/session.json` for send/simulate/demo (default true). */
  publishSession?: boolean;
}

export interface DevSession {
  readonly bridgeUrl: string;
  readonly emulatorUrl?: string;
  readonly providerUrl?: string;
  readonly inspectorUrl?: string;
  /** The inspector's session token (its API wants it as X-Inspector-Token). */
  readonly inspectorSecret?: string;
  /** Both legs' exchange records (what the console prints). */
  readonly exchanges: ExchangeFeed;
  /** The current public URL, if a tunnel is open. */
  readonly publicUrl?: string;
  readonly outboxDir: string;
  readonly mode: Banner['mode'];
  banner(): Banner;
  /** The stand-in provider, when one runs (offline mode). */
  readonly provider?: ProviderMock;
  /** Idempotent: tunnel first (its sockets hold the bridge open), then bridge, provider, emulator. */
  close(): Promise<void>;
}

/** How long to wait for the first tunnel before showing the local-only banner. */
const LOCAL_BANNER_AFTER_MS = 4_000;

/** Environment values that look like secrets (masked by the inspector wherever they appear). */
function secretValuesOf(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => value && /KEY|SECRET|TOKEN|PASSWORD|PASS$/i.test(name))
    .map(([, value]) => value as string);
}

/** Hosts the tunnel client can dial for a bridge bound to `host`. */
function dialHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/**
 * Starts everything `dev` runs. On a failure part-way, what started is closed again.
 * @example const session = await startDev({ ...parseDevFlags({ tunnel: false, port: '0' }), cwd, env: process.env })
 */
export async function startDev(options: DevOptions): Promise<DevSession> {
  const emit = (event: DevEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // Rendering must not break the session.
    }
  };
  const { loadProject } = await import('../project.js');
  const { resolveConfig } = await import('../config/resolve.js');
  const project = loadProject(options.cwd, options.env);
  const config = await resolveConfig({ cwd: project.root, env: options.env, userConfigDir: options.userConfigDir });
  const mode: Banner['mode'] = options.forceEmulator || !config.hasChannelCredentials ? 'emulator' : 'respondio';
  const services = options.services ?? loadDevServices();
  const outboxDir = join(project.stateDir, 'outbox');
  const cleanups: Array<() => Promise<void> | void> = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // Keep closing the rest.
      }
    }
  };

  try {
    const reloader = await startAdapterReloader({
      adapterPath: project.adapterPath,
      onReload: (event) => emit({ type: 'reload', ...event }),
    });
    cleanups.push(() => reloader.close());

    const exchanges = new ExchangeFeed();
    exchanges.subscribe((exchange) => emit({ type: 'exchange', exchange }));

    let emulator: Awaited<ReturnType<DevServices['startEmulator']>> | undefined;
    let provider: ProviderMock | undefined;
    let channel: { channelId: string; token: string; idType: IdType };
    let webhookUrl: string;
    let tokenSource: string;
    if (mode === 'emulator') {
      emulator = await services.startEmulator({ stateDir: project.stateDir, idType: project.idType });
      cleanups.push(() => emulator?.close());
      channel = emulator.channel;
      webhookUrl = emulator.webhookUrl;
      tokenSource = 'emulator';
      provider = await services.startProvider({ root: project.root, template: project.template, env: project.env });
      if (provider) cleanups.push(() => provider?.close());
    } else {
      const values = config.values;
      channel = {
        channelId: values.channelId as string,
        token: values.token as string,
        // The project's manifest speaks for the ID type unless it was set explicitly.
        idType:
          config.sources.idType && config.sources.idType !== 'default' ? (values.idType as IdType) : project.idType,
      };
      webhookUrl = values.webhookUrl as string;
      tokenSource = config.sources.token ?? 'config';
    }

    const bridge = await services.startBridge({
      adapter: () => reloader.get(),
      channel,
      webhookUrl,
      env: { ...project.env, ...provider?.env },
      stateDir: project.stateDir,
      exchanges,
      port: options.port,
      host: options.host,
      ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
      onLog: (entry) => emit({ type: 'log', ...entry }),
    });
    cleanups.push(() => bridge.close());
    const { missingWebhookSecrets } = await import('../bridge/webhook-secrets.js');
    for (const message of missingWebhookSecrets(reloader.current, { ...project.env, ...provider?.env })) {
      emit({ type: 'warning', message });
    }
    provider?.setCallbackBase(bridge.url);
    emulator?.setApiBaseUrl(bridge.url);

    let inspector: DevInspector | undefined;
    if (options.inspector && services.startInspector) {
      const env: Record<string, string | undefined> = { ...project.env, ...provider?.env };
      try {
        inspector = await services.startInspector({
          emulator,
          exchanges,
          bridgeUrl: bridge.url,
          channelId: channel.channelId,
          token: channel.token,
          secrets: secretValuesOf(env),
          providerWebhookSecret: env.PROVIDER_WEBHOOK_SECRET,
          historyFile: join(project.stateDir, 'inspector.ndjson'),
          port: options.inspectorPort,
        });
        const wanted = options.inspectorPort ?? 4040;
        const got = Number(new URL(inspector.url).port);
        if (wanted !== 0 && got !== wanted) {
          emit({ type: 'warning', message: `inspector port ${wanted} is taken; the inspector is on ${inspector.url}` });
        }
        cleanups.push(() => inspector?.close());
      } catch (error) {
        // The page is a convenience: dev runs without it.
        emit({ type: 'warning', message: `inspector not started: ${messageOf(error)}` });
      }
    }

    if (options.publishSession !== false) {
      const unpublish = await publishSession(project.stateDir, {
        version: 1,
        pid: process.pid,
        startedAt: Date.now(),
        project: project.root,
        mode,
        bridgeUrl: bridge.url,
        emulatorUrl: emulator?.url,
        providerUrl: provider?.url,
        providerKind: provider ? (project.template === 'generic-http' ? 'mock' : 'stub') : undefined,
        // The page without its ?token=: the secret goes in its own field, sent as a header.
        inspectorUrl: inspector?.baseUrl ?? inspector?.url,
        inspectorSecret: inspector?.secret,
        channel,
        providerEnv: { ...provider?.env },
      });
      cleanups.push(unpublish);
    }

    let publicUrl: string | undefined;
    const makeBanner = () =>
      buildBanner({
        mode,
        adapterName: reloader.current.name,
        bridgeUrl: bridge.url,
        publicUrl,
        channelId: channel.channelId,
        token: channel.token,
        tokenSource,
        webhookUrl,
        emulatorUrl: emulator?.url,
        providerUrl: provider?.url,
        webhookPaths: reloader.current.webhooks.map((hook) => hook.path),
        inspectorUrl: inspector?.url,
      });

    emit({
      type: 'ready',
      mode,
      project: project.root,
      bridgeUrl: bridge.url,
      emulatorUrl: emulator?.url,
      providerUrl: provider?.url,
      inspectorUrl: inspector?.url,
      tunnel: options.tunnel.kind,
    });

    let bannerShown = false;
    const showBanner = () => {
      bannerShown = true;
      emit({ type: 'banner', banner: makeBanner() });
    };
    let supervisor: TunnelSupervisor | undefined;
    if (options.tunnel.kind === 'none') showBanner();
    else {
      const choice = options.tunnel;
      const opener =
        options.tunnelOpener ??
        (choice.kind === 'url' ? createStaticOpener(choice.url) : createLocaltunnelOpener({ host: choice.host }));
      supervisor = startTunnelSupervisor({
        opener,
        port: bridge.port,
        localHost: dialHost(options.host),
        subdomain: choice.kind === 'localtunnel' ? choice.subdomain : undefined,
        replaceable: choice.kind !== 'url',
        host: choice.kind === 'url' ? new URL(choice.url).host : new URL(choice.host ?? 'https://localtunnel.me').host,
        failureHint:
          'no public URL yet: dev keeps trying; meanwhile everything works locally. Use --no-tunnel to stop trying, or --tunnel-url <url> for a tunnel you run',
        canary: { intervalMs: options.canaryIntervalMs, timeoutMs: Math.min(5_000, options.canaryIntervalMs) },
      });
      supervisor.on((event) => {
        emit({ type: 'tunnel', event });
        if (event.type === 'open') publicUrl = event.url;
        if (event.type === 'down') publicUrl = undefined;
        if (event.type === 'open' && event.changed) showBanner();
      });
      // No tunnel yet (offline, tunnel server down): show the local URLs meanwhile; the public
      // banner follows when a tunnel opens.
      const fallback = setTimeout(() => {
        if (!bannerShown) showBanner();
      }, options.localBannerAfterMs ?? LOCAL_BANNER_AFTER_MS);
      fallback.unref();
      cleanups.push(() => clearTimeout(fallback));
      // Closed first: open tunnel sockets keep the bridge's server from closing.
      cleanups.push(() => supervisor?.close());
    }

    let closing: Promise<void> | undefined;
    return {
      bridgeUrl: bridge.url,
      emulatorUrl: emulator?.url,
      providerUrl: provider?.url,
      inspectorUrl: inspector?.url,
      inspectorSecret: inspector?.secret,
      exchanges,
      get publicUrl() {
        return publicUrl;
      },
      outboxDir,
      mode,
      provider,
      banner: makeBanner,
      close() {
        closing ??= closeAll();
        return closing;
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
