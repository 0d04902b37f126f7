/** Subpath exports: each resolves from the built package, and the light ones load no Fastify. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

function probe(specifier: string): { keys: string[]; fastify: boolean } {
  const code = `const m=await import(${JSON.stringify(specifier)});const {createRequire}=await import('node:module');const fastify=Object.keys(createRequire(import.meta.url).cache).some((k)=>k.includes('/node_modules/fastify/'));console.log(JSON.stringify({keys:Object.keys(m),fastify}))`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  return JSON.parse(out.trim());
}

describe('package exports', () => {
  it('every subpath resolves and exports something', () => {
    const subpaths = Object.keys(pkg.exports).filter((p) => p !== './package.json');
    expect(subpaths).toEqual(expect.arrayContaining(['.', './contract', './adapter', './bridge', './emulator']));
    for (const subpath of subpaths) {
      const specifier = subpath === '.' ? 'custom-channel' : `custom-channel/${subpath.slice(2)}`;
      expect(probe(specifier).keys.length, specifier).toBeGreaterThan(0);
    }
  });

  it('custom-channel/adapter, /contract and /redis do not load Fastify; the root does', () => {
    const adapter = probe('custom-channel/adapter');
    expect(adapter.keys).toEqual(
      expect.arrayContaining([
        'defineAdapter',
        'AdapterError',
        'RetryableError',
        'throwForProviderStatus',
        'safeEqual',
      ]),
    );
    expect(adapter.fastify).toBe(false);
    const contract = probe('custom-channel/contract');
    expect(contract.keys).toEqual(expect.arrayContaining(['validatePayload', 'WebhookBodySchema']));
    expect(contract.fastify).toBe(false);
    const redis = probe('custom-channel/redis');
    expect(redis.keys).toEqual(expect.arrayContaining(['openRedisOutbox', 'openRedisSendQueue']));
    expect(redis.fastify).toBe(false);
    expect(probe('custom-channel').fastify).toBe(true);
  });
});
