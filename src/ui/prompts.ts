/**
 * The terminal's questions: the only module that imports @inquirer/prompts. Callers decide
 * whether to ask at all (only when stdin is a TTY); Ctrl-C rejects with inquirer's
 * `ExitPromptError`, which the CLI maps to exit 130.
 */
import { confirm, input, password, select } from '@inquirer/prompts';
import { type IdType, idTypeLabels } from '../contract/ids.js';

/** Project (npm package) name; `validate` returns an error text or `undefined`. */
export function askName(defaultName: string, validate: (name: string) => string | undefined): Promise<string> {
  return input({
    message: 'Project name:',
    default: defaultName,
    validate: (value) => validate(value.trim()) ?? true,
    transformer: (value) => value.trim(),
  }).then((value) => value.trim());
}

/** Which template (provider) to start from. */
export function askTemplate(
  templates: ReadonlyArray<{ name: string; description: string }>,
  defaultName: string,
): Promise<string> {
  return select({
    message: 'Template (provider):',
    choices: templates.map((t) => ({ value: t.name, name: t.name, description: t.description })),
    default: defaultName,
  });
}

/** The channel's ID type, as respond.io's Add Channel form names it. */
export function askIdType(defaultType: IdType): Promise<IdType> {
  return select<IdType>({
    message: 'Contact ID type (must match the channel in respond.io):',
    choices: [
      { value: 'phone', name: idTypeLabels.phone },
      { value: 'custom', name: idTypeLabels.custom },
    ],
    default: defaultType,
  });
}

/** Whether to run `npm install` now. */
export function askInstall(defaultValue = true): Promise<boolean> {
  return confirm({ message: 'Install dependencies now (npm install)?', default: defaultValue });
}

/** A setting's value for `config set`; secrets are typed without echo. */
export function askSetting(message: string, hidden: boolean): Promise<string> {
  return hidden ? password({ message }) : input({ message });
}

/** A yes/no question that defaults to no (for what cannot be undone). */
export function askConfirm(message: string): Promise<boolean> {
  return confirm({ message, default: false });
}
