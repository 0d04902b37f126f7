/** The inspector's stable port: the preferred one when free, the next free one when taken. */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort, isPortFree } from '../src/lib/free-port.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function occupy(port = 0): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('findFreePort', () => {
  it('answers the preferred port when it is free', async () => {
    const port = await occupy();
    await new Promise((resolve) => servers.pop()?.close(resolve));
    expect(await findFreePort(port, '127.0.0.1')).toBe(port);
  });

  it('skips a taken port and answers the next free one', async () => {
    const taken = await occupy();
    expect(await isPortFree(taken, '127.0.0.1')).toBe(false);
    const found = await findFreePort(taken, '127.0.0.1');
    expect(found).toBeGreaterThan(taken);
    expect(await isPortFree(found, '127.0.0.1')).toBe(true);
  });

  it('0 stays 0 (any free port)', async () => {
    expect(await findFreePort(0, '127.0.0.1')).toBe(0);
  });
});
