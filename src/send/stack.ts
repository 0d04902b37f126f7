/**
 * The local stack `simulate`, `send` and `demo` run against: the project's bridge, the
 * respond.io emulator and a stand-in provider, all in this process.
 * (Work in progress: wired to the emulator, bridge and mock provider as they land.)
 */
import type { AdapterCapabilities } from '../bridge/adapter.js';
import type { StatusValue } from '../contract/constants.js';
import type { IdType } from '../contract/ids.js';
import type { Message } from '../contract/messages.js';
import { CliError } from '../errors.js';
import type { Exchange } from '../exchange.js';
import type { Scenario } from '../mock-provider/types.js';
import type { EventObserver } from '../simulate/observer.js';
import type { Hop, Timeline } from './timeline.js';

export interface StackOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Keep emulator state in memory only (demo). */
  inMemory?: boolean;
}

export interface LocalStack {
  project: { root: string; name: string; template?: string };
  bridgeUrl: string;
  emulatorUrl: string;
  channel: { channelId: string; token: string; idType: IdType };
  capabilities: AdapterCapabilities;
  defaultContact: string;
  /** Provider settings the adapter runs with (mock provider URL, keys, webhook secret). */
  env: Record<string, string | undefined>;
  observer: EventObserver;
  exchanges: Exchange[];
  setScenario(contactId: string, scenario: Scenario): void;
  close(): Promise<void>;
}

export interface FollowOutboundInput {
  to: string;
  message: Message;
  expect: StatusValue[];
  timeoutMs: number;
  onHop?(hop: Hop): void;
}

export interface FollowInboundInput {
  from: string;
  text: string;
  timeoutMs: number;
  onHop?(hop: Hop): void;
}

function notYet(): never {
  throw new CliError('the local stack (emulator + bridge + mock provider) is not wired yet', {
    hint: 'use --target/--token (simulate) or --live (send) meanwhile',
  });
}

export async function startLocalStack(_options: StackOptions = {}): Promise<LocalStack> {
  return notYet();
}

export async function followOutbound(_stack: LocalStack, _input: FollowOutboundInput): Promise<Timeline> {
  return notYet();
}

export async function followInbound(_stack: LocalStack, _input: FollowInboundInput): Promise<Timeline> {
  return notYet();
}

export async function scaffoldDemoProject(_folder: string): Promise<void> {
  return notYet();
}
