/**
 * One line that updates in place on a terminal ("waiting for delivered, read (3 s / 10 s)").
 * Only on a TTY: in pipes and under --json nothing is written at all.
 */

export interface LiveLine {
  /** Shows (or replaces) the line. */
  set(text: string): void;
  /** Prints a normal line above it: the live line is cleared first and redrawn after. */
  print(write: () => void): void;
  /** Clears it for good. */
  stop(): void;
}

/** What to show while `expect` has not all arrived; undefined once it has. */
export function waitingText(
  expect: readonly string[],
  seen: ReadonlySet<string>,
  elapsedMs: number,
  timeoutMs: number,
) {
  const missing = expect.filter((s) => !seen.has(s));
  if (missing.length === 0) return undefined;
  const seconds = (ms: number) => `${Math.floor(ms / 1000)} s`;
  return `waiting for ${missing.join(', ')} (${seconds(elapsedMs)} / ${seconds(timeoutMs)})`;
}

/**
 * @example const line = createLiveLine(process.stdout, !reporter.json); line.set('waiting…'); line.stop()
 */
export function createLiveLine(stream: NodeJS.WriteStream, enabled: boolean): LiveLine {
  const active = enabled && stream.isTTY === true;
  let text: string | undefined;
  const clear = () => {
    if (active && text !== undefined) stream.write('\r\x1b[2K');
  };
  const draw = () => {
    if (active && text !== undefined) stream.write(text);
  };
  return {
    set(next) {
      clear();
      text = next;
      draw();
    },
    print(write) {
      clear();
      write();
      draw();
    },
    stop() {
      clear();
      text = undefined;
    },
  };
}
