/** `custom-channel completion bash|zsh|fish`: generated from the command tree, and it completes. */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildProgram, commandEntries } from '../src/cli.js';
import { buildCompletionModel } from '../src/completion/model.js';
import { renderCompletion, shells } from '../src/completion/scripts.js';
import { runCli } from './support/cli.js';

const script = async () => renderCompletion('bash', buildCompletionModel(await buildProgram(['node', 'cc'], 'all')));

/** What bash completes for the words typed so far (the last one may be partial). */
function complete(source: string, words: string[]): string[] {
  const program = `${source}
COMP_WORDS=(${['custom-channel', ...words].map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${words.length}
_custom_channel
printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', program], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('completion', () => {
  it.each([
    [['con'], ['config']],
    [['config', 's'], ['set']],
    [['outbox', 'p'], ['purge']],
    [['send', '--scenario', 'f'], ['failed']],
    [['dev', '--inspector-p'], ['--inspector-port']],
    [['simulate', '--own'], ['--own-stack']],
    [['send', 'hi', '--js'], ['--json']],
  ])('bash completes %j to %j', async (words, expected) => {
    expect(complete(await script(), words)).toEqual(expected);
  });

  it('every shell script names every command, and the command prints it', async () => {
    const model = buildCompletionModel(await buildProgram(['node', 'cc'], 'all'));
    for (const shell of shells) {
      const text = renderCompletion(shell, model);
      for (const entry of commandEntries) expect(text, `${shell} ${entry.name}`).toContain(entry.name);
    }
    const run = await runCli(['completion', 'fish']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("complete -c custom-channel -n '__fish_use_subcommand' -a dev");
    const bad = await runCli(['completion', 'powershell']);
    expect(bad.code).toBe(2);
  });

  // .ci/run installs zsh: in CI a missing zsh fails the test instead of skipping it.
  it.skipIf(!process.env.CI && spawnSync('zsh', ['--version']).status !== 0)('the zsh script parses', async () => {
    const text = renderCompletion('zsh', buildCompletionModel(await buildProgram(['node', 'cc'], 'all')));
    expect(spawnSync('zsh', ['-n'], { input: text }).status).toBe(0);
  });
});
