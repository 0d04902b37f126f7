/** Offline stand-ins for real providers, replaying a template's recorded payloads. */
export { buildPayload, fillPlaceholders } from './fill.js';
export { hasProviderStub, type LoadedStub, loadStubManifest, STUB_MANIFEST, type StubManifest } from './manifest.js';
export { STUB_MODULE, type StartStandIn } from './module.js';
export {
  type ProviderStub,
  type ProviderStubOptions,
  type StubCallbackRecord,
  type StubRequest,
  startProviderStub,
} from './server.js';
