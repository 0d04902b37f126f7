/** The send queue: messages respond.io handed over that the provider did not take in time. */
export { FileSendQueue, type FileSendQueueOptions, openFileSendQueue } from './file-queue.js';
export * from './types.js';
