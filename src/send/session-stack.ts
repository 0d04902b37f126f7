/**
 * The running `dev` session as a `LocalStack`: `send`, `simulate` and `demo` drive its
 * emulator, bridge and mock provider over HTTP, so everything they do shows in dev's console
 * and inspector. respond.io's side is watched through the emulator's event stream; both legs'
 * exchanges through the inspector's stream (when dev serves one).
 */

import type { DevSessionInfo } from '../dev/session-file.js';
import { inspectorHeaders } from '../dev/session-file.js';
import type { ContactRecord, EmulatorEvent, EmulatorListener, OutgoingMessageRecord } from '../emulator/types.js';
import { CliError, usageError } from '../errors.js';
import { type Exchange, ExchangeFeed } from '../exchange.js';
import { type EventStream, openEventStream } from '../lib/event-stream.js';
import type { InboundInput, ProviderMock, Scenario } from '../mock-provider/types.js';
import { scenarios } from '../mock-provider/types.js';
import { loadAdapter, loadProject } from '../project.js';
import { createEventObserver } from '../simulate/observer.js';
import type { StackOptions } from './stack.js';
import { type LocalStack, observe } from './stack.js';

/** How long both streams must stay quiet before the session counts as settled. */
const QUIET_MS = 150;

async function call<T>(url: string, init: RequestInit & { what: string }): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
    });
  } catch (error) {
    throw new CliError(`the running dev session does not answer (${init.what}): ${(error as Error).message}`, {
      hint: 'restart `custom-channel dev`, or pass --own-stack to run on a stack of this command',
    });
  }
  const text = await response.text();
  const body = text ? (JSON.parse(text) as T & { error?: { message?: string } }) : ({} as T);
  if (!response.ok) {
    const message = (body as { error?: { message?: string } }).error?.message ?? `HTTP ${response.status}`;
    throw new Error(message);
  }
  return body;
}

/** The session's mock provider, through its `/_mock/` control API. */
function remoteMock(info: DevSessionInfo, restore: Array<() => Promise<unknown>>): ProviderMock {
  const base = info.providerUrl as string;
  const changed = new Set<string>();
  return {
    url: base,
    env: info.providerEnv,
    scenarios,
    setCallbackBase: () => {},
    async setScenario(contactId: string, scenario: Scenario) {
      const { rules } = await call<{ rules: Record<string, Scenario> }>(`${base}/_mock/scenario`, {
        what: 'mock provider scenario',
      });
      if (!changed.has(contactId)) {
        changed.add(contactId);
        // Leave dev as it was: the contact goes back to its rule (or the default) afterwards.
        const previous = rules[contactId] ?? rules['*'] ?? 'read';
        restore.push(() =>
          call(`${base}/_mock/scenario`, {
            method: 'POST',
            body: JSON.stringify({ contactId, scenario: previous }),
            what: 'mock provider scenario',
          }),
        );
      }
      await call(`${base}/_mock/scenario`, {
        method: 'POST',
        body: JSON.stringify({ contactId, scenario }),
        what: 'mock provider scenario',
      });
    },
    injectInbound: (input: InboundInput) =>
      call<{ messageId: string }>(`${base}/_mock/inbound`, {
        method: 'POST',
        body: JSON.stringify({ type: 'text', ...input }),
        what: 'mock provider inbound',
      }),
    close: async () => {},
  } as ProviderMock;
}

/**
 * Connects to the session `dev` published. Only an emulator-mode session can be driven (a
 * real respond.io channel has no emulator to send from).
 * @example const stack = await connectSessionStack(readSessionFile(project.stateDir)!, { cwd })
 */
export async function connectSessionStack(
  info: DevSessionInfo,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<LocalStack> {
  if (!info.emulatorUrl) {
    throw usageError(
      'the running dev session talks to the real respond.io: there is no emulator to send from',
      'pass --own-stack to run on a stack of this command',
    );
  }
  const emulatorUrl = info.emulatorUrl;
  const project = loadProject(options.cwd ?? info.project, options.env ?? process.env);
  const adapter = await loadAdapter(project.adapterPath);
  const listeners = new Set<EmulatorListener>();
  const observer = createEventObserver();
  const feed = new ExchangeFeed();
  const exchanges: Exchange[] = [];
  feed.subscribe((exchange) => exchanges.push(exchange));
  let lastActivity = performance.now();
  const streams: EventStream[] = [];
  const restore: Array<() => Promise<unknown>> = [];
  let closing: Promise<void> | undefined;
  // The inspector's backlog comes before its `ready`; only what happens from then on is ours.
  let live = false;
  const close = () => {
    closing ??= (async () => {
      for (const undo of restore.splice(0)) await undo().catch(() => {});
      for (const stream of streams) stream.close();
    })();
    return closing;
  };
  try {
    streams.push(
      await openEventStream(`${emulatorUrl}/_emulator/events`, {
        onMessage(message) {
          let event: EmulatorEvent;
          try {
            event = JSON.parse(message.data) as EmulatorEvent;
          } catch {
            return;
          }
          lastActivity = performance.now();
          observe(event, observer.push);
          for (const listener of listeners) listener(event);
        },
      }),
    );
    if (info.inspectorUrl) {
      const url = new URL('api/stream', info.inspectorUrl);
      streams.push(
        await openEventStream(url.href, {
          headers: inspectorHeaders(info),
          readyEvent: 'ready',
          onMessage(message) {
            if (message.event === 'ready') live = true;
            if (message.event !== 'entries' || !live) return;
            let entries: Array<{ kind?: string; exchange?: Exchange }>;
            try {
              entries = JSON.parse(message.data);
            } catch {
              return;
            }
            for (const entry of entries) {
              if (entry.kind !== 'exchange' || !entry.exchange) continue;
              lastActivity = performance.now();
              const { id: _id, ...rest } = entry.exchange;
              feed.publish(rest);
            }
          },
        }),
      );
    }
  } catch (error) {
    await close();
    throw new CliError(`cannot follow the running dev session: ${(error as Error).message}`, {
      hint: 'restart `custom-channel dev`, or pass --own-stack',
    });
  }
  live = true;
  const provider = info.providerKind === 'mock' && info.providerUrl ? remoteMock(info, restore) : undefined;
  return {
    project: { root: project.root, name: project.name, template: project.template },
    bridgeUrl: info.bridgeUrl,
    session: info,
    emulator: {
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      sendMessage: (input) =>
        call<OutgoingMessageRecord>(`${emulatorUrl}/_emulator/messages?wait=1`, {
          method: 'POST',
          body: JSON.stringify(input),
          what: 'emulator send',
        }),
      listContacts: async () =>
        (await call<{ contacts: ContactRecord[] }>(`${emulatorUrl}/_emulator/contacts`, { what: 'emulator contacts' }))
          .contacts,
    },
    provider,
    channel: info.channel,
    capabilities: adapter.capabilities,
    defaultContact: info.channel.idType === 'custom' ? '100200300' : '+60177872890',
    env: { ...project.env, ...info.providerEnv },
    observer,
    exchanges,
    feed,
    async setScenario(contactId, scenario) {
      if (!provider) {
        throw new CliError("the running dev session's provider stand-in cannot take a scenario", {
          hint: 'pass --own-stack to run with a stand-in of this command',
        });
      }
      await provider.setScenario(contactId, scenario);
    },
    async settle() {
      while (performance.now() - lastActivity < QUIET_MS) {
        await new Promise((resolve) => setTimeout(resolve, QUIET_MS / 3));
      }
    },
    close,
  };
}

export interface OpenStackOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Never use a running dev session. */
  ownStack?: boolean;
  providerStepMs?: number;
  /** The local bridge's log lines (own stack only: a running dev prints its own). */
  onLog?: StackOptions['onLog'];
}

/**
 * The running dev session of the project at `cwd` when there is one (and it can be driven),
 * else a stack of this process's own.
 * @example const stack = await openStack({ cwd }); if (stack.session) console.log('using dev')
 */
export async function openStack(options: OpenStackOptions = {}): Promise<LocalStack> {
  const { startLocalStack } = await import('./stack.js');
  if (!options.ownStack) {
    const info = await findDevSession(options.cwd ?? process.cwd());
    if (info?.emulatorUrl) return connectSessionStack(info, options);
  }
  return startLocalStack(options);
}

/** The live dev session of the project at or above `cwd`, if any. */
export async function findDevSession(cwd: string): Promise<DevSessionInfo | undefined> {
  const { findProjectRoot, STATE_DIR } = await import('../project.js');
  const { readSessionFile } = await import('../dev/session-file.js');
  const { join } = await import('node:path');
  const root = findProjectRoot(cwd);
  return root ? readSessionFile(join(root, STATE_DIR)) : undefined;
}

/** The first line a command prints when it drives the running dev session. */
export function sessionLine(info: DevSessionInfo): string {
  return `using the running dev session (pid ${info.pid}, bridge ${info.bridgeUrl}${info.inspectorUrl ? `, inspector ${info.inspectorUrl}` : ''}); --own-stack runs on a stack of its own`;
}
