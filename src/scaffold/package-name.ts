/**
 * npm's package-name rules for new packages (the rules of validate-npm-package-name), so a
 * scaffolded project can be published or installed without a rename.
 */
import { builtinModules } from 'node:module';

const reserved = new Set(['node_modules', 'favicon.ico']);
const scoped = /^@([^/]+)\/([^/]+)$/;

/**
 * The first npm rule `name` breaks, or `undefined` when it is a valid new package name.
 * @example packageNameProblem('My App') // 'name can no longer contain capital letters'
 */
export function packageNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'name length must be greater than zero';
  if (name.trim() !== name) return 'name cannot contain leading or trailing spaces';
  if (name.startsWith('.')) return 'name cannot start with a period';
  if (name.startsWith('_')) return 'name cannot start with an underscore';
  if (reserved.has(name.toLowerCase())) return `${name} is not a valid package name`;
  if (builtinModules.includes(name)) return `${name} is a core module name`;
  if (name.length > 214) return 'name can no longer contain more than 214 characters';
  if (name.toLowerCase() !== name) return 'name can no longer contain capital letters';
  if (/[~'!()*]/.test(name.split('/').slice(-1)[0])) {
    return 'name can no longer contain special characters ("~\'!()*")';
  }
  if (encodeURIComponent(name) !== name) {
    const match = scoped.exec(name);
    const partsOk = match && encodeURIComponent(match[1]) === match[1] && encodeURIComponent(match[2]) === match[2];
    if (!partsOk || match[2].startsWith('.') || match[2].startsWith('_')) {
      return 'name can only contain URL-friendly characters';
    }
  }
  return undefined;
}

/**
 * A valid package name made from a folder name (`My Channel` -> `my-channel`), like
 * create-vite does, for the name prompt's default.
 */
export function toPackageName(folderName: string): string {
  const name = folderName
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '-')
    .replace(/^[._]+/, '')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  return name === '' || packageNameProblem(name) ? 'my-channel' : name;
}
