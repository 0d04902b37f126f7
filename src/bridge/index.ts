/** The bridge runtime: `buildBridge` (no listening, for `inject()`) and `startBridge`. */

// The outbox is part of the bridge's public API (one entry line in src/index.ts).
export * from '../outbox/index.js';
export * from '../send-queue/index.js';
export { type BridgeApp, type BridgeRuntime, buildBridge } from './build.js';
export { buildDeliver, type DeliverOptions } from './deliver.js';
export type { DeliveryHealth } from './delivery-watch.js';
export { type Readiness, type ReadinessOptions, readiness } from './health.js';
export { type BridgeLogEntry, type LogLevel, redactQuery } from './logging.js';
export { type BridgeMetrics, METRICS_CONTENT_TYPE } from './metrics.js';
export type { AdapterSource, BridgeOptions, SendQueueSettings, StartBridgeOptions } from './options.js';
export {
  classifyProviderResponse,
  isNetworkError,
  isRetryableStatus,
  type ProviderVerdict,
  throwForProviderStatus,
} from './provider-status.js';
export { type BridgeHandle, startBridge } from './start.js';
