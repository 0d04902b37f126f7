/**
 * The local stack `simulate`, `send` and `demo` run against: the project's own bridge, the
 * respond.io emulator and a stand-in provider (the mock provider for generic-http, recorded
 * fixtures for real-provider templates), all in this process, with state in a temp folder so
 * a run never leaves an outbox or credentials behind.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AdapterCapabilities } from '../bridge/adapter.js';
import type { BridgeLogEntry } from '../bridge/logging.js';
import type { IdType } from '../contract/ids.js';
import type { DevSessionInfo } from '../dev/session-file.js';
import type { ContactRecord, EmulatorEvent, EmulatorHandle } from '../emulator/types.js';
import { CliError } from '../errors.js';
import { type Exchange, ExchangeFeed } from '../exchange.js';
import type { ProviderMock, Scenario } from '../mock-provider/types.js';
import { findProjectRoot, loadAdapter, loadProject } from '../project.js';
import type { ObservedEvent } from '../simulate/checks.js';
import { createEventObserver, type EventObserver } from '../simulate/observer.js';
import { webhookBodyOf } from './follow.js';
import { onInterruptCleanup } from './interrupt.js';

export {
  type FollowInboundInput,
  type FollowOutboundInput,
  followInbound,
  followOutbound,
  webhookBodyOf,
} from './follow.js';

export interface StackOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Pause of the mock provider before each status callback (default 50 ms). */
  providerStepMs?: number;
  /** The bridge's log lines (the adapter's `ctx.log`, delivery warnings), for the console. */
  onLog?: (entry: BridgeLogEntry) => void;
}

/** What a stack's users need of respond.io's side: in-process, or a running dev's over HTTP. */
export type StackEmulator = Pick<EmulatorHandle, 'subscribe' | 'sendMessage'> & {
  listContacts(): ContactRecord[] | Promise<ContactRecord[]>;
};

export interface LocalStack {
  project: { root: string; name: string; template?: string };
  bridgeUrl: string;
  emulator: StackEmulator;
  /** Set when this stack is a running `dev` session, driven over HTTP. */
  session?: DevSessionInfo;
  /** The stand-in provider, when the project's template has one. */
  provider?: ProviderMock;
  channel: { channelId: string; token: string; idType: IdType };
  capabilities: AdapterCapabilities;
  defaultContact: string;
  /** Provider settings the adapter runs with (stand-in URL, keys, webhook secret). */
  env: Record<string, string | undefined>;
  /** Every respond.io event that reached the emulator, for `simulate`. */
  observer: EventObserver;
  /** Every exchange of either leg the bridge recorded, oldest first. */
  exchanges: Exchange[];
  feed: ExchangeFeed;
  setScenario(contactId: string, scenario: Scenario): void | Promise<void>;
  /** Resolves once the provider made every callback it planned and the outbox delivered them. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** A stack this process started: its emulator is in-process, with everything it offers. */
export type OwnStack = LocalStack & { emulator: EmulatorHandle };

const DEFAULT_CONTACT: Record<IdType, string> = { phone: '+60177872890', custom: '100200300' };

/** Turns the emulator's webhook intake into observed events (contract problems attached). */
export function observe(event: EmulatorEvent, push: (e: ObservedEvent) => void): void {
  // 429/401/503 answers are not contract verdicts: the outbox retries those.
  if (event.type === 'webhook.rejected' && event.status !== 400) return;
  const body = webhookBodyOf(event);
  if (!body || !Array.isArray(body.events)) return;
  const problems = event.type === 'webhook.rejected' ? event.problems : [];
  for (const e of body.events) {
    push({
      type: e?.type,
      mId: e?.mId,
      contactId: String(body.contactId ?? ''),
      status: e?.type === 'message_status' ? e.status?.value : undefined,
      problems,
    });
  }
}

async function startStandIn(root: string, template: string | undefined, stepMs?: number) {
  if (template === 'generic-http') {
    const { startMockProvider } = await import('../mock-provider/server.js');
    return startMockProvider(stepMs === undefined ? {} : { delaysMs: { step: stepMs } });
  }
  const { hasProviderStub, startProviderStub } = await import('../provider-stub/index.js');
  return hasProviderStub(root) ? startProviderStub({ root }) : undefined;
}

/**
 * Starts emulator, stand-in provider and the project's bridge, wired to each other.
 * @example const stack = await startLocalStack({ cwd: projectDir }); ...; await stack.close()
 */
export async function startLocalStack(options: StackOptions = {}): Promise<OwnStack> {
  const cwd = options.cwd ?? process.cwd();
  if (!findProjectRoot(cwd)) {
    throw new CliError(`no custom-channel project found in ${cwd} or above`, {
      hint: 'cd into a project (`custom-channel init` makes one); or use simulate --target <url> --token <token>, send --live, or `custom-channel demo`',
    });
  }
  const project = loadProject(cwd, options.env ?? process.env);
  // Loaded while the emulator and the provider start: transpiling is most of a cold start.
  const adapterLoading = loadAdapter(project.adapterPath);
  adapterLoading.catch(() => {});
  const stateDir = await mkdtemp(join(tmpdir(), 'custom-channel-run-'));
  const closers: Array<() => Promise<unknown>> = [() => rm(stateDir, { recursive: true, force: true })];
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      unregister();
      for (const fn of closers.reverse()) await fn().catch(() => {});
    })();
    return closing;
  };
  const unregister = onInterruptCleanup(close);
  try {
    const provider = await startStandIn(project.root, project.template, options.providerStepMs);
    if (provider) closers.push(() => provider.close());
    const { startEmulator } = await import('../emulator/index.js');
    const emulator = await startEmulator({ stateDir, channels: [{ idType: project.idType }] });
    closers.push(() => emulator.close());
    const observer = createEventObserver();
    const unsubscribe = emulator.subscribe((event) => observe(event, observer.push));
    closers.push(async () => unsubscribe());

    const feed = new ExchangeFeed();
    const exchanges: Exchange[] = [];
    feed.subscribe((exchange) => exchanges.push(exchange));
    const env = { ...project.env, ...(provider?.env ?? {}) };
    const channel = { channelId: emulator.channel.channelId, token: emulator.channel.token, idType: project.idType };
    const { startBridge } = await import('../bridge/index.js');
    const adapter = await adapterLoading;
    const bridge = await startBridge({
      adapter,
      channel,
      respondio: { webhookUrl: emulator.webhookUrl },
      env,
      stateDir,
      exchanges: feed,
      onLog: options.onLog,
    });
    // The bridge goes first on close: its outbox stops before respond.io disappears.
    closers.push(() => bridge.close());
    emulator.setApiBaseUrl(bridge.url);
    provider?.setCallbackBase(bridge.url);
    return {
      project: { root: project.root, name: project.name, template: project.template },
      bridgeUrl: bridge.url,
      emulator,
      provider,
      channel,
      capabilities: adapter.capabilities,
      defaultContact: DEFAULT_CONTACT[project.idType],
      env,
      observer,
      exchanges,
      feed,
      setScenario(contactId, scenario) {
        if (!provider) {
          throw new CliError(`no offline stand-in for the ${project.template ?? 'project'} provider`, {
            hint: 'scenarios need the mock provider (generic-http) or fixtures/provider-stub.json',
          });
        }
        provider.setScenario(contactId, scenario);
      },
      async settle() {
        const idle = (provider as { idle?: () => Promise<void> } | undefined)?.idle;
        if (idle) await idle.call(provider);
        for (;;) {
          const { pending, inFlight } = bridge.outbox.stats();
          if (pending === 0 && inFlight === 0) return;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Scaffolds the generic-http template into `<folder>/demo-channel` (no install) and returns it. */
export async function scaffoldDemoProject(folder: string): Promise<string> {
  const { scaffold } = await import('../scaffold/index.js');
  const result = await scaffold({ dir: join(folder, 'demo-channel'), template: 'generic-http', install: false });
  return result.dir;
}
