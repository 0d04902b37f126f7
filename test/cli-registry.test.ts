import { Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, commandEntries, commandNameOf } from '../src/cli.js';

describe('command registry', () => {
  it('lists each command exactly as the real command describes itself (the listing does not load it)', async () => {
    const program = await buildProgram(['node', 'custom-channel'], 'all');
    const help = new Help();
    for (const entry of commandEntries) {
      const real = program.commands.find((command) => command.name() === entry.name);
      expect(real, entry.name).toBeDefined();
      expect(entry.summary, entry.name).toBe(real?.description());
      expect(entry.term, entry.name).toBe(help.subcommandTerm(real!));
    }
    expect(program.commands.map((c) => c.name())).toEqual(commandEntries.map((e) => e.name));
  });

  it.each([
    [['node', 'cc', '--json', 'validate', 'x.json'], 'validate'],
    [['node', 'cc', 'help', 'init'], 'init'],
    [['node', 'cc', '--help'], undefined],
    [['node', 'cc'], undefined],
  ])('%j runs %s', (argv, name) => {
    expect(commandNameOf(argv)).toBe(name);
  });
});
