/**
 * The templates shipped in `templates/`: every folder whose package.json has a
 * `customChannel` section is one, named after the folder.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IdType } from '../contract/ids.js';

/** The template `init` uses when none is chosen. */
export const DEFAULT_TEMPLATE = 'generic-http';

export interface TemplateInfo {
  name: string;
  dir: string;
  description: string;
  /** The template's own ID type, the default of the ID type prompt. */
  idType: IdType;
}

/** This package's root (works from `src/scaffold` in tests and `dist/scaffold` when built). */
export function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** The shipped `templates/` folder. */
export function templatesDir(): string {
  return join(packageRoot(), 'templates');
}

/** Every template, the default first, then by name. */
export function listTemplates(dir = templatesDir()): TemplateInfo[] {
  const found: TemplateInfo[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const manifest = join(dir, entry.name, 'package.json');
    if (!entry.isDirectory() || !existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
      description?: string;
      customChannel?: { idType?: IdType };
    };
    if (!pkg.customChannel) continue;
    found.push({
      name: entry.name,
      dir: join(dir, entry.name),
      description: pkg.description ?? '',
      idType: pkg.customChannel.idType === 'custom' ? 'custom' : 'phone',
    });
  }
  const rank = (t: TemplateInfo) => (t.name === DEFAULT_TEMPLATE ? '' : t.name);
  return found.sort((a, b) => rank(a).localeCompare(rank(b)));
}
