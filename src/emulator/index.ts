/** The embedded respond.io emulator as a library. */
export { CREDENTIALS_FILE } from './credentials.js';
export { EmulatorInputError } from './outgoing.js';
export { buildEmulator, type EmulatorApp, startEmulator } from './server.js';
export type * from './types.js';
