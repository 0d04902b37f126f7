/** Shell completion scripts for bash, zsh and fish, generated from the command model. */
import type { CompletionCommand } from './model.js';

export const shells = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof shells)[number];

const BIN = 'custom-channel';

/** Words a shell may complete after `path` (subcommands, argument choices, flags). */
function wordsOf(command: CompletionCommand, globals: CompletionCommand['options']): string[] {
  return [
    ...command.subcommands.map((c) => c.name),
    ...(command.argChoices ?? []),
    ...[...command.options, ...globals].flatMap((o) => o.names.filter((n) => n.startsWith('--'))),
  ];
}

/** Every command with its path of names (`config set`), depth first. */
function walk(command: CompletionCommand, path: string[] = []): Array<{ path: string[]; command: CompletionCommand }> {
  return [{ path, command }, ...command.subcommands.flatMap((sub) => walk(sub, [...path, sub.name]))];
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

function bash(root: CompletionCommand): string {
  const globals = root.options;
  const cases = walk(root)
    .map(({ path, command }) => {
      const key = path.join(' ');
      return `    ${quote(key)}) words=${quote(wordsOf(command, path.length ? globals : []).join(' '))} ;;`;
    })
    .join('\n');
  const choices = walk(root)
    .flatMap(({ command }) => [...command.options, ...globals])
    .filter((o) => o.choices)
    .flatMap((o) => o.names.map((name) => [name, (o.choices ?? []).join(' ')] as const));
  const unique = [...new Map(choices).entries()]
    .map(([name, values]) => `    ${name}) COMPREPLY=($(compgen -W ${quote(values)} -- "$cur")); return ;;`)
    .join('\n');
  return `# ${BIN} completion for bash: source it, e.g. ${BIN} completion bash > ~/.local/share/bash-completion/completions/${BIN}
_custom_channel() {
  local cur prev path words i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
${unique}
  esac
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -*) ;;
      *) candidate="\${path:+$path }\${COMP_WORDS[i]}"
         case "$candidate" in
${walk(root)
  .filter(({ path }) => path.length > 0)
  .map(({ path }) => `           ${quote(path.join(' '))}) path="$candidate" ;;`)
  .join('\n')}
         esac ;;
    esac
  done
  case "$path" in
${cases}
    *) words="" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _custom_channel ${BIN}
`;
}

function zsh(root: CompletionCommand): string {
  return `#compdef ${BIN}
# ${BIN} completion for zsh: put it on your fpath as _${BIN}, or eval "$(${BIN} completion zsh)"
autoload -U +X bashcompinit && bashcompinit
${bash(root).replace(/^# .*\n/, '')}`;
}

function fish(root: CompletionCommand): string {
  const lines = [`# ${BIN} completion for fish: ${BIN} completion fish > ~/.config/fish/completions/${BIN}.fish`];
  lines.push(`complete -c ${BIN} -f`);
  const option = (condition: string, o: CompletionCommand['options'][number]) => {
    const parts = [`complete -c ${BIN}`, `-n ${quote(condition)}`];
    for (const name of o.names) parts.push(name.startsWith('--') ? `-l ${name.slice(2)}` : `-s ${name.slice(1)}`);
    if (o.choices) parts.push(`-xa ${quote(o.choices.join(' '))}`);
    else if (o.takesValue) parts.push('-r');
    parts.push(`-d ${quote(o.description)}`);
    return parts.join(' ');
  };
  for (const o of root.options) lines.push(option('true', o));
  for (const { path, command } of walk(root)) {
    if (path.length === 0) {
      for (const sub of command.subcommands) {
        lines.push(`complete -c ${BIN} -n '__fish_use_subcommand' -a ${sub.name} -d ${quote(sub.description)}`);
      }
      continue;
    }
    const seen = path.map((name) => `__fish_seen_subcommand_from ${name}`).join('; and ');
    for (const sub of command.subcommands) {
      lines.push(`complete -c ${BIN} -n ${quote(seen)} -a ${sub.name} -d ${quote(sub.description)}`);
    }
    if (command.argChoices)
      lines.push(`complete -c ${BIN} -n ${quote(seen)} -a ${quote(command.argChoices.join(' '))}`);
    for (const o of command.options) lines.push(option(seen, o));
  }
  return `${lines.join('\n')}\n`;
}

/**
 * @example renderCompletion('fish', buildCompletionModel(program))
 */
export function renderCompletion(shell: Shell, root: CompletionCommand): string {
  if (shell === 'bash') return bash(root);
  if (shell === 'zsh') return zsh(root);
  return fish(root);
}
