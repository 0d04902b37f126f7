/**
 * What `custom-channel outbox list` shows of the send queue (`.custom-channel/sends`): sends
 * still waiting for the provider and the ones given up (dead letters), read without a lock so
 * it works while the bridge runs.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadProject } from '../project.js';
import { openFileSendQueue } from './file-queue.js';
import type { QueuedSend } from './types.js';

export interface SendsReport {
  dir: string;
  pending: QueuedSend[];
  dead: QueuedSend[];
}

export async function listSends(cwd: string): Promise<SendsReport> {
  const dir = join(loadProject(cwd).stateDir, 'sends');
  if (!existsSync(dir)) return { dir, pending: [], dead: [] };
  const queue = await openFileSendQueue({ dir, readOnly: true });
  return { dir, pending: await queue.list('pending'), dead: await queue.list('dead') };
}

/** One line (plus the reason) per queued send. */
export function describeSend(send: QueuedSend): string {
  const { message } = send.input;
  const when = new Date(send.receivedAt).toISOString();
  const why = send.reason ?? send.lastError;
  const next = send.reason ? '' : `  next try ${new Date(send.nextAt).toISOString()}`;
  return `${send.id}  ${when}  ${send.contactId}  ${message.type}  ${send.attempts} tries${next}${why ? `\n    ${why}` : ''}`;
}
