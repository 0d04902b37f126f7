/**
 * The mock provider behind the generic-http template: accepts sends, answers with provider
 * message ids and calls the integration server back with statuses per scenario.
 */
export { type MockActivity, MockCallbackError, type MockCallbackRecord, type MockSend } from './core.js';
export {
  CALLBACK_PATH,
  type ProviderCallback,
  type ProviderContent,
  type ProviderSend,
  ProviderSendSchema,
  type ProviderStatus,
  SIGNATURE_HEADER,
  signBody,
  verifySignature,
} from './protocol.js';
export { buildStatusPlan, expectedStatuses, FAILED_REASON, isScenario, type StatusStep } from './scenarios.js';
export { buildMockProvider, type MockProvider, type MockProviderOptions, startMockProvider } from './server.js';
export type { InboundInput, ProviderMock, Scenario } from './types.js';
export { scenarios } from './types.js';
