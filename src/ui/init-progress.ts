/**
 * Renders `scaffold`'s progress: on a terminal one line redrawn in place (files copied, then
 * the install's elapsed time and npm's latest line); elsewhere a plain line per step.
 */
import type { ScaffoldProgress } from '../scaffold/scaffold.js';
import type { Reporter } from './output.js';

export interface InitProgress {
  (event: ScaffoldProgress): void;
  /** Clears a pending in-place line (call before printing anything else). */
  stop(): void;
}

/** A progress callback writing to `stream` (default stderr, so stdout stays for results). */
export function createInitProgress(
  reporter: Reporter,
  stream: NodeJS.WriteStream = process.stderr,
  tty = stream.isTTY === true,
): InitProgress {
  let live = false;
  let installStart = 0;
  let lastLine = '';
  let ticker: NodeJS.Timeout | undefined;
  const width = () => Math.max(20, (stream.columns ?? 80) - 1);
  const draw = (text: string) => {
    stream.write(`\r\x1b[K${text.slice(0, width())}`);
    live = true;
  };
  const clear = () => {
    if (live) stream.write('\r\x1b[K');
    live = false;
  };
  const installLine = () => {
    const seconds = ((performance.now() - installStart) / 1000).toFixed(0);
    draw(`${reporter.style.cyan('installing')} dependencies (npm install) ${seconds}s ${reporter.style.dim(lastLine)}`);
  };

  const progress = ((event: ScaffoldProgress) => {
    if (reporter.json) return;
    if (event.step === 'copy') {
      if (event.done === event.total) {
        clear();
        stream.write(`copied ${event.total} files\n`);
      } else if (tty) {
        draw(`${reporter.style.cyan('copying')} ${event.done}/${event.total} ${reporter.style.dim(event.file ?? '')}`);
      }
    } else if (event.step === 'install' && event.state === 'start') {
      installStart = performance.now();
      if (tty) {
        installLine();
        ticker = setInterval(installLine, 250);
      } else stream.write('installing dependencies (npm install)...\n');
    } else if (event.step === 'install' && event.state === 'line') {
      lastLine = event.line.trim();
    } else if (event.step === 'install' && event.state === 'done') {
      clearInterval(ticker);
      clear();
      const seconds = ((performance.now() - installStart) / 1000).toFixed(1);
      stream.write(`installed dependencies in ${seconds}s\n`);
    } else if (event.step === 'done') {
      clear();
    }
  }) as InitProgress;
  progress.stop = () => {
    clearInterval(ticker);
    clear();
  };
  return progress;
}
