/**
 * A stand-in written as code: a template whose "provider" is not an HTTP API to replay (the
 * web chat's provider is the visitor's browser) ships `fixtures/provider-stub.ts`, whose default
 * export starts it. Loaded from TypeScript source with jiti, `custom-channel` resolved to this
 * running copy, like the adapter.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CliError, messageOf } from '../errors.js';
import type { ProviderStub, ProviderStubOptions } from './server.js';

export const STUB_MODULE = join('fixtures', 'provider-stub.ts');

/** What `fixtures/provider-stub.ts` exports by default. */
export type StartStandIn = (options: ProviderStubOptions) => Promise<ProviderStub>;

export function hasStubModule(root: string): boolean {
  return existsSync(join(root, STUB_MODULE));
}

function selfEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const built = join(here, '..', 'index.js');
  return existsSync(built) ? built : join(here, '..', 'index.ts');
}

/** Loads `<root>/fixtures/provider-stub.ts` and starts it. */
export async function startStubModule(options: ProviderStubOptions): Promise<ProviderStub> {
  const file = join(options.root, STUB_MODULE);
  const { createJiti } = await import('jiti');
  const jiti = createJiti(pathToFileURL(file).href, {
    moduleCache: false,
    fsCache: false,
    alias: { 'custom-channel': selfEntry() },
  });
  let start: unknown;
  try {
    start = await jiti.import(file, { default: true });
  } catch (error) {
    throw new CliError(`cannot load the provider stand-in ${STUB_MODULE}: ${messageOf(error)}`, { cause: error });
  }
  if (typeof start !== 'function') {
    throw new CliError(`${STUB_MODULE} must export a default function that starts the stand-in`);
  }
  return (start as StartStandIn)(options);
}
