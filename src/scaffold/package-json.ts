/**
 * Edits a template's package.json as JSON: the project name, the ID type, the `custom-channel`
 * dependency and the versions of shared tools taken from the CLI's own package.json.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { IdType } from '../contract/ids.js';
import type { SelfSource } from './self-source.js';
import { packageRoot } from './templates.js';

interface PackageJson {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  customChannel?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The CLI's own package.json. */
export function readOwnPackage(): PackageJson {
  return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as PackageJson;
}

/**
 * How the project depends on `custom-channel`: `file:<absolute path>` when linking to a
 * checkout (option or `CUSTOM_CHANNEL_DEV_LINK`), else `^<this CLI's version>` from the registry.
 * @example customChannelSpec({ link: '/work/main' }) // 'file:/work/main'
 */
export function customChannelSpec(
  options: { link?: string; env?: NodeJS.ProcessEnv; source?: SelfSource } = {},
): string {
  const link = options.link ?? options.env?.CUSTOM_CHANNEL_DEV_LINK;
  if (link) return `file:${resolve(link)}`;
  if (options.source?.kind === 'link') return options.source.spec;
  return `^${readOwnPackage().version}`;
}

export interface PackageEdit {
  name: string;
  idType: IdType;
  template: string;
  /** The `custom-channel` dependency spec (see `customChannelSpec`). */
  customChannel: string;
}

/** The edited package.json object; the template's own object is not changed. */
export function buildPackageJson(template: PackageJson, edit: PackageEdit, own = readOwnPackage()): PackageJson {
  const shared = { ...own.dependencies, ...own.devDependencies };
  const align = (deps?: Record<string, string>) =>
    deps && Object.fromEntries(Object.entries(deps).map(([dep, range]) => [dep, shared[dep] ?? range]));
  const pkg: PackageJson = { ...template, name: edit.name };
  if (template.dependencies) pkg.dependencies = align(template.dependencies);
  if (template.devDependencies) pkg.devDependencies = align(template.devDependencies);
  pkg.dependencies = { ...pkg.dependencies, 'custom-channel': edit.customChannel };
  pkg.customChannel = { ...template.customChannel, template: edit.template, idType: edit.idType };
  return pkg;
}
