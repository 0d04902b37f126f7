/**
 * The shipped catalogue of respond.io payloads (`fixtures/`): one JSON file per case, named
 * after what it is, listed in `fixtures/catalogue.json`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { IdTypeSchema } from './contract/ids.js';
import { payloadKinds } from './contract/validate.js';

export const CatalogueEntrySchema = z.strictObject({
  /** `outbound/text`: the file path without `.json`. */
  name: z.string(),
  kind: z.enum(payloadKinds),
  file: z.string(),
  description: z.string(),
  idType: IdTypeSchema.optional(),
  /** True where a grade C rule applies, so validation gives warnings. */
  warnings: z.boolean().optional(),
});
export const CatalogueSchema = z.object({ cases: z.array(CatalogueEntrySchema) });
export type CatalogueEntry = z.infer<typeof CatalogueEntrySchema>;

/** The package's `fixtures/` folder (next to `dist/` or `src/`). */
export function fixturesDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
}

/** Every catalogue entry, in catalogue order. */
export function loadCatalogue(dir = fixturesDir()): CatalogueEntry[] {
  return CatalogueSchema.parse(JSON.parse(readFileSync(join(dir, 'catalogue.json'), 'utf8'))).cases;
}

/** The payload of one entry (a fresh copy each call). */
export function loadFixture(entry: CatalogueEntry, dir = fixturesDir()): unknown {
  return JSON.parse(readFileSync(join(dir, entry.file), 'utf8'));
}
