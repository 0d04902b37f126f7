import { Argument, type Command } from 'commander';
import { shells } from '../completion/scripts.js';

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish), generated from the commands')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(shells))
    .addHelpText(
      'after',
      `
Examples:
  $ custom-channel completion bash > ~/.local/share/bash-completion/completions/custom-channel
  $ custom-channel completion zsh > "\${fpath[1]}/_custom-channel"
  $ custom-channel completion fish > ~/.config/fish/completions/custom-channel.fish
  $ source <(custom-channel completion bash)`,
    )
    .action(async (shell: (typeof shells)[number]) => {
      const [{ buildProgram }, { buildCompletionModel }, { renderCompletion }] = await Promise.all([
        import('../cli.js'),
        import('../completion/model.js'),
        import('../completion/scripts.js'),
      ]);
      const program = await buildProgram(['node', 'custom-channel'], 'all');
      process.stdout.write(renderCompletion(shell, buildCompletionModel(program)));
    });
}
