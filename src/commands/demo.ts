import type { Command } from 'commander';
import { contextOf } from '../cli.js';
import { ExitCode } from '../errors.js';

interface DemoFlags {
  ownStack?: boolean;
  keep?: boolean;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('see it all work offline: emulator, bridge and mock provider, every message type and status flow')
    .option('--keep', 'keep the scaffolded demo project folder')
    .option('--own-stack', "start a stack of its own even when this project's `dev` is running")
    .addHelpText(
      'after',
      `
No account, no network, no arguments. Scaffolds the generic-http template into a temp folder,
starts the respond.io emulator, the bridge and the mock provider in this process, sends one
message of each outbound type and a few inbound ones, and shows each status flow.

Example:
  $ custom-channel demo`,
    )
    .action(async (flags: DemoFlags, command: Command) => {
      const { reporter } = contextOf(command);
      const { installInterruptHandler } = await import('../send/interrupt.js');
      const removeInterruptHandler = installInterruptHandler();
      const { style } = reporter;
      const { runDemo } = await import('../demo/run.js');
      const { renderProgress, renderStatusFlow } = await import('../ui/timeline.js');
      const { reportLogEntry } = await import('../ui/dev-console.js');
      const report = await runDemo({
        keep: flags.keep,
        ownStack: flags.ownStack,
        onLog: (entry) => reportLogEntry(entry, reporter),
        onStage: (text) => reporter.info(style.bold(`» ${text}`)),
        onStep: (step, done, total) => {
          const mark = step.asExpected ? style.green('✓') : style.red('✗');
          const flow =
            step.direction === 'outbound'
              ? renderStatusFlow(step.report.statuses, step.report.startedAt, style)
              : step.report.summary;
          const arrow = step.direction === 'outbound' ? 'respond.io → contact' : 'contact → respond.io';
          reporter.info(`${renderProgress(done, total, `${mark} ${arrow}  ${step.label}`, style)}`);
          reporter.info(`        ${flow}`);
        },
      });
      removeInterruptHandler();
      reporter.emit(report);
      const seconds = (report.durationMs / 1000).toFixed(1);
      const summary = `${report.outbound} outbound (${report.failedAsExpected} failed on purpose, reason shown), ${report.inbound} inbound, in ${seconds} s`;
      if (report.kept) reporter.info(`project kept in ${report.folder}`);
      if (report.ok) {
        reporter.success(`demo passed: ${summary}`);
        reporter.info(style.dim('next: `custom-channel init my-channel` to start your own integration server'));
      } else {
        const bad = report.steps.filter((s) => !s.asExpected).map((s) => `${s.label} (${s.report.summary})`);
        reporter.info(style.red(`demo failed: ${bad.join('; ') || 'nothing ran'}`));
        process.exitCode = ExitCode.failure;
      }
    });
}
