/**
 * A stable default port that keeps working when it is taken: the first free port from
 * `preferred` on (like ngrok's inspector on 4040), else any free one.
 */
import { createServer } from 'node:net';

/** Whether `port` can be listened on at `host` right now. */
export function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * The first free port in `preferred .. preferred + tries - 1`, or 0 (any free port) when all
 * are taken. `preferred` 0 answers 0 at once.
 * @example const port = await findFreePort(4040, '127.0.0.1') // 4040, or 4041 when 4040 is taken
 */
export async function findFreePort(preferred: number, host: string, tries = 20): Promise<number> {
  if (preferred === 0) return 0;
  for (let port = preferred; port < Math.min(preferred + tries, 65536); port += 1) {
    if (await isPortFree(port, host)) return port;
  }
  return 0;
}
