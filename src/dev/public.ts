/** What the library exports for dev sessions and tunnels (one line in src/index.ts). */

export * from '../tunnel/index.js';
export type { ReloadEvent } from './adapter-reloader.js';
export { type Banner, buildBanner } from './banner.js';
export type { DevEvent, DevListener } from './events.js';
export type { DevBridge, DevBridgeOptions, DevEmulator, DevServices } from './services.js';
export { type DevOptions, type DevSession, startDev } from './session.js';
