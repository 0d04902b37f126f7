/**
 * A timeout made of a timer we own. `AbortSignal.timeout()` keeps only a weak reference to its
 * signal, and `AbortSignal.any()` holds its sources weakly too: after a garbage collection the
 * timeout can be collected and never fire (seen against a respond.io that never answered, the
 * delivery sat in flight until the process ended). A plain `setTimeout` holds the controller
 * strongly until it fires or is cleared.
 */

/** A signal that aborts when `parent` does or after `ms`; call `clear()` once the call settled. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Stops the timer and lets go of `parent`. Idempotent. */
  clear(): void;
}

/** The reason a deadline aborts with: a DOMException named `TimeoutError`, as `AbortSignal.timeout` gives. */
export function timeoutError(ms: number): DOMException {
  return new DOMException(`no answer within ${ms} ms (timeout)`, 'TimeoutError');
}

/**
 * @example
 * const deadline = withTimeout(shutdown, 10_000);
 * try { await fetch(url, { signal: deadline.signal }); } finally { deadline.clear(); }
 */
export function withTimeout(parent: AbortSignal | undefined, ms: number): Deadline {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent?.reason);
  let timer: NodeJS.Timeout | undefined;
  const clear = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    parent?.removeEventListener('abort', onAbort);
  };
  if (parent?.aborted) {
    controller.abort(parent.reason);
    return { signal: controller.signal, clear };
  }
  parent?.addEventListener('abort', onAbort, { once: true });
  timer = setTimeout(() => {
    timer = undefined;
    parent?.removeEventListener('abort', onAbort);
    controller.abort(timeoutError(ms));
  }, ms);
  // Like AbortSignal.timeout, the timer alone does not keep the process alive; the pending
  // call (a socket) does, and the timer stays referenced by the timer list until it fires.
  timer.unref();
  return { signal: controller.signal, clear };
}
