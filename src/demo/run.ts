/**
 * `runDemo`: the whole tool in one offline run. Scaffolds the generic-http template into a
 * temp folder, starts emulator, bridge and mock provider in this process, sends one message of
 * each outbound type (one of them meant to fail) and a few inbound ones, and reports the flows.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatusValue } from '../contract/constants.js';
import type { Message } from '../contract/messages.js';
import { runSend, type SendReport } from '../send/run.js';
import type { StackOptions } from '../send/stack.js';

export interface DemoStep {
  /** `outbound` steps carry a status flow; `inbound` ones arrive at respond.io. */
  direction: 'outbound' | 'inbound';
  label: string;
  report: SendReport;
  /** Did it end as the demo meant (the failure case must fail). */
  asExpected: boolean;
}

export interface DemoOptions {
  /** Where to look for a running `dev` session (default: the current directory). */
  cwd?: string;
  /** Start a stack of its own even when the project's `dev` is running. */
  ownStack?: boolean;
  /** Keep the scaffolded folder (printed in the report). */
  keep?: boolean;
  timeoutMs?: number;
  onStage?(text: string): void;
  /** After each finished step: `done` of `total`. */
  onStep?(step: DemoStep, done: number, total: number): void;
  /** The bridge's log lines (the adapter's `ctx.log`, delivery warnings). */
  onLog?: StackOptions['onLog'];
}

export interface DemoReport {
  ok: boolean;
  folder: string;
  kept: boolean;
  steps: DemoStep[];
  outbound: number;
  inbound: number;
  failedAsExpected: number;
  durationMs: number;
  /** The running `dev` session the demo went through, if it did. */
  devSession?: { pid: number; bridgeUrl: string };
}

const CONTACT = '+60177872890';
const FAILING_CONTACT = '+60123456789';

/** One message of each outbound type respond.io can send, and which contact gets it. */
export function buildDemoMessages(): Array<{ label: string; message: Message }> {
  return [
    { label: 'text', message: { type: 'text', text: 'Your order #1042 has shipped.' } },
    {
      label: 'image',
      message: {
        type: 'attachment',
        attachment: { type: 'image', url: 'https://example.com/media/parcel.jpg', fileName: 'parcel.jpg' },
      },
    },
    {
      label: 'video',
      message: { type: 'attachment', attachment: { type: 'video', url: 'https://example.com/media/unboxing.mp4' } },
    },
    {
      label: 'audio',
      message: { type: 'attachment', attachment: { type: 'audio', url: 'https://example.com/media/note.mp3' } },
    },
    {
      label: 'file',
      message: {
        type: 'attachment',
        attachment: { type: 'file', url: 'https://example.com/media/invoice.pdf', fileName: 'invoice.pdf' },
      },
    },
    { label: 'location', message: { type: 'location', latitude: 3.139, longitude: 101.6869, address: 'Kuala Lumpur' } },
    {
      label: 'quick reply',
      message: { type: 'quick_reply', title: 'Was the delivery on time?', replies: ['Yes', 'No'] },
    },
    { label: 'custom payload', message: { type: 'custom_payload', payload: { template: 'receipt', orderId: 1042 } } },
  ];
}

const INBOUND = ['Hi, where is my parcel?', 'Thanks, it arrived!', 'Can I change the address?'];

/**
 * Runs the demo and returns what happened; never needs an account, a network or an install.
 * @example const report = await runDemo({ onStep: (s, n, total) => console.log(n, total, s.label) })
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const folder = await mkdtemp(join(tmpdir(), 'custom-channel-demo-'));
  const { onInterruptCleanup } = await import('../send/interrupt.js');
  const unregister = options.keep ? () => {} : onInterruptCleanup(() => rm(folder, { recursive: true, force: true }));
  const { scaffoldDemoProject, startLocalStack } = await import('../send/stack.js');
  const { connectSessionStack, findDevSession, sessionLine } = await import('../send/session-stack.js');
  const steps: DemoStep[] = [];
  // A running dev with the mock provider takes the demo: it shows in dev's console and inspector.
  const found = options.ownStack ? undefined : await findDevSession(options.cwd ?? process.cwd());
  const session = found?.emulatorUrl && found.providerKind === 'mock' ? found : undefined;
  try {
    let stack: Awaited<ReturnType<typeof connectSessionStack>>;
    if (session) {
      options.onStage?.(sessionLine(session));
      stack = await connectSessionStack(session, { cwd: session.project });
    } else {
      options.onStage?.(`scaffolding the generic-http template into ${folder}`);
      const project = await scaffoldDemoProject(folder);
      options.onStage?.('starting the respond.io emulator, the bridge and the mock provider');
      stack = await startLocalStack({ cwd: project, env: {}, onLog: options.onLog });
    }
    try {
      const supported = buildDemoMessages().filter(({ message }) =>
        stack.capabilities.messageTypes.includes(message.type),
      );
      const success = (['sent', 'delivered', 'read'] as StatusValue[]).filter((s) =>
        stack.capabilities.statuses.includes(s),
      );
      await stack.setScenario(CONTACT, 'read');
      await stack.setScenario(FAILING_CONTACT, 'failed');
      const plan = [
        ...supported.map(({ label, message }) => ({ label, message, to: CONTACT, expect: success })),
        {
          label: 'text to an unreachable number',
          message: { type: 'text', text: 'This one is meant to fail.' } as Message,
          to: FAILING_CONTACT,
          expect: ['failed'] as StatusValue[],
        },
      ];
      const total = plan.length + INBOUND.length;
      options.onStage?.(`sending ${plan.length} messages as respond.io and ${INBOUND.length} from the contact`);
      const record = (step: DemoStep) => {
        steps.push(step);
        options.onStep?.(step, steps.length, total);
      };
      // Outbound messages go out together, like a busy inbox; the mock provider answers each.
      await Promise.all(
        plan.map(async ({ label, message, to, expect }) => {
          const report = await runSend({ stack, to, message, expect, timeoutMs });
          record({ direction: 'outbound', label, report, asExpected: report.ok });
        }),
      );
      for (const text of INBOUND) {
        const report = await runSend({ stack, to: CONTACT, message: { type: 'text', text }, inbound: true, timeoutMs });
        record({ direction: 'inbound', label: `"${text}"`, report, asExpected: report.ok });
      }
    } finally {
      await stack.close();
    }
  } finally {
    unregister();
    if (!options.keep) await rm(folder, { recursive: true, force: true });
  }
  const outbound = steps.filter((s) => s.direction === 'outbound');
  return {
    ok: steps.length > 0 && steps.every((s) => s.asExpected),
    folder,
    kept: options.keep === true,
    steps,
    outbound: outbound.length,
    inbound: steps.length - outbound.length,
    failedAsExpected: outbound.filter((s) => s.asExpected && s.report.analysis.expected.includes('failed')).length,
    durationMs: performance.now() - started,
    ...(session ? { devSession: { pid: session.pid, bridgeUrl: session.bridgeUrl } } : {}),
  };
}
