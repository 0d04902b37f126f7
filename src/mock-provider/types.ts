/**
 * The small interface every stand-in provider implements, so `dev`, `send`, `demo` and the
 * tests drive the generic mock provider and the fixture-replaying stubs of real-provider
 * templates (ClickSend, Telegram) the same way.
 */

/** How the provider answers and calls back for one message. */
export const scenarios = [
  'read',
  'delivered',
  'failed',
  'slow',
  'duplicate',
  'out-of-order',
  'silent',
  'provider-outage',
] as const;
export type Scenario = (typeof scenarios)[number];

export interface InboundInput {
  /** The contact's ID on the provider (phone number, chat id, ...). */
  from: string;
  text: string;
  fromName?: string;
}

export interface ProviderMock {
  /** Base URL the adapter calls instead of the real provider. */
  readonly url: string;
  /** Environment for the adapter, pointing it at this mock (e.g. PROVIDER_API_URL, keys, secrets). */
  readonly env: Readonly<Record<string, string>>;
  /** Scenarios this mock can play; `setScenario` with any other throws. */
  readonly scenarios: readonly Scenario[];
  /** Where provider callbacks go: the bridge's base URL, once it listens. */
  setCallbackBase(url: string): void;
  /** Scenario for messages to `contactId` (`'*'` for every contact without a rule of its own). */
  setScenario(contactId: string, scenario: Scenario): void;
  /** The contact sends a message: the mock calls the bridge's webhook like the provider would. */
  injectInbound(input: InboundInput): Promise<{ messageId: string }>;
  /** Idempotent. */
  close(): Promise<void>;
}
