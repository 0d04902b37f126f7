/** The outbox to respond.io: the interface, and the file-journal implementation. */
export { backoffDelay, parseRetryAfter } from './backoff.js';
export { batchSize, culpritsOf, freshSplit, type Outcome, type SplitState, settleBatch } from './batch.js';
export { FileOutbox, type FileOutboxOptions, openFileOutbox } from './file-outbox.js';
export { lockOwner, OutboxLockedError } from './lock.js';
export { SlidingWindowLimiter } from './rate-limiter.js';
export * from './types.js';
