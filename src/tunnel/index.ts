export * from './localtunnel.js';
export * from './static.js';
export * from './supervisor.js';
export * from './types.js';
