/** The scaffolder behind `custom-channel init`, as a library. */
export { listTemplateFiles, renamedFiles } from './copy.js';
export { buildPackageJson, customChannelSpec } from './package-json.js';
export { packageNameProblem, toPackageName } from './package-name.js';
export {
  assertPackageName,
  assertTarget,
  findTemplate,
  type ScaffoldOptions,
  type ScaffoldProgress,
  type ScaffoldResult,
  scaffold,
} from './scaffold.js';
export { DEFAULT_TEMPLATE, listTemplates, type TemplateInfo, templatesDir } from './templates.js';
