export * from './keys.js';
export * from './resolve.js';
