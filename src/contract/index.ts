/** respond.io's side of a Custom Channel, as zod schemas and the types they give. */
export * from './developer-api.js';
export * from './ids.js';
export * from './message-endpoint.js';
export * from './messages.js';
export * from './problems.js';
export * from './validate.js';
export * from './webhook.js';
