/**
 * The pause of a polling loop that new work can cut short: `sleep(ms, true)` resolves after `ms`
 * or at the next `wake()`, whichever comes first; `sleep(ms, false)` only after `ms` (a wait a
 * wake must not shorten, such as a rate-limit slot or a back-off after an error).
 * @example const pause = new WakeableSleep(); await pause.sleep(500, true); // elsewhere: pause.wake()
 */
export class WakeableSleep {
  #wake: (() => void) | undefined;

  sleep(ms: number, wakeable: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = wakeable ? done : undefined;
    }).finally(() => {
      this.#wake = undefined;
    });
  }

  /** Ends the current wakeable sleep now (nothing when none is under way). */
  wake(): void {
    this.#wake?.();
  }
}
