/**
 * custom-channel as a library: the respond.io contract, and (as they land) the emulator,
 * the bridge, the scaffolder and the test tools the CLI is built on.
 */

export * from './bridge/adapter.js';
export * from './bridge/index.js';
export * from './config/index.js';
export * from './contract/index.js';
export { type DemoOptions, type DemoReport, runDemo } from './demo/run.js';
export * from './dev/public.js';
export * from './emulator/index.js';
export { CliError, ExitCode } from './errors.js';
export * from './exchange.js';
export * from './fixtures.js';
export { buildInspector, type InspectorHandle, type InspectorOptions, startInspector } from './inspector/index.js';
export * from './mock-provider/index.js';
export { findProjectRoot, loadAdapter, loadProject, type Project, readEnvFile, STATE_DIR } from './project.js';
export {
  hasProviderStub,
  type ProviderStub,
  type ProviderStubOptions,
  type StartStandIn,
  type StubCallbackRecord,
  type StubRequest,
  startProviderStub,
} from './provider-stub/index.js';
export * from './scaffold/index.js';
export { maskSecret, safeEqual } from './secrets.js';
export { runSend, type SendOptions, type SendReport } from './send/run.js';
export { runSimulate, type SimulateOptions, type SimulateReport } from './simulate/run.js';
