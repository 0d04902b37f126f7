import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validatePayload } from '../src/contract/index.js';
import { fixturesDir, loadCatalogue, loadFixture } from '../src/fixtures.js';

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return jsonFiles(path);
    return entry.name.endsWith('.json') && entry.name !== 'catalogue.json' ? [relative(fixturesDir(), path)] : [];
  });
}

const catalogue = loadCatalogue();

describe('fixtures catalogue', () => {
  it('lists every fixture file exactly once, and every entry has a file', () => {
    const listed = catalogue.map((entry) => entry.file).sort();
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed).toEqual(jsonFiles(fixturesDir()).sort());
  });

  it('names each entry after its file', () => {
    for (const entry of catalogue) expect(`${entry.name}.json`).toBe(entry.file);
  });

  it('covers every message type, attachment type, status value, echo, batch and response', () => {
    const names = catalogue.map((entry) => entry.name);
    for (const name of [
      'webhook/message-text',
      'webhook/message-attachment-image',
      'webhook/message-attachment-video',
      'webhook/message-attachment-audio',
      'webhook/message-attachment-file',
      'webhook/message-location',
      'webhook/message-quick-reply',
      'webhook/message-custom-payload',
      'webhook/echo-text',
      'webhook/status-sent',
      'webhook/status-delivered',
      'webhook/status-read',
      'webhook/status-failed',
      'webhook/batch',
      'webhook/contact-custom-id',
      'outbound/text',
      'outbound/attachment-file',
      'outbound/quick-reply',
      'outbound/custom-payload',
      'outbound/location',
      'responses/success',
      'responses/error',
      'dev-api/send-text',
    ]) {
      expect(names).toContain(name);
    }
  });

  it.each(catalogue.map((entry) => [entry.name, entry] as const))('%s validates as its kind', (_name, entry) => {
    const result = validatePayload(loadFixture(entry), { kind: entry.kind, idType: entry.idType });
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
    // Grade C cases are flagged, the rest are clean.
    expect(result.warnings.length > 0).toBe(entry.warnings === true);
    // In strict mode a grade C case is rejected.
    expect(validatePayload(loadFixture(entry), { kind: entry.kind, strict: true }).valid).toBe(entry.warnings !== true);
  });
});
