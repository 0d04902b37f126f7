/**
 * The outbox cannot record events right now (its store, e.g. Redis, is unreachable): nothing
 * was recorded, so the bridge answers the provider 503 with `Retry-After` and it sends again.
 */
export class OutboxUnavailableError extends Error {
  /** Seconds the provider should wait before sending again. */
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds = 1) {
    super(message);
    this.name = 'OutboxUnavailableError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
