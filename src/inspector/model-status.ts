/** A message's tick from its status history, and what is odd about that history. */
import { type Bubble, STATUS_RANK } from './model-types.js';

/** Current tick, failure reason, and (without an emulator to judge) anomalies of the status history. */
export function judgeStatuses(bubble: Bubble, emulatorJudges: boolean): void {
  if (bubble.kind !== 'outbound') return;
  let highest: string | undefined;
  const seen = new Set<string>();
  for (const status of bubble.statuses) {
    const value = status.value;
    if (!emulatorJudges && highest) {
      if (seen.has(value) && status.source !== 'response') bubble.anomalies.push(`duplicate status ${value}`);
      else if (highest === 'failed' && value !== 'failed') bubble.anomalies.push(`${value} after failed`);
      else if ((STATUS_RANK[value] ?? 0) < (STATUS_RANK[highest] ?? 0)) {
        bubble.anomalies.push(`${value} arrived after ${highest} (out of order)`);
      }
    }
    seen.add(value);
    if (value === 'failed') bubble.failedReason = status.message ?? bubble.failedReason;
    if (!highest || (STATUS_RANK[value] ?? 0) >= (STATUS_RANK[highest] ?? 0)) highest = value;
  }
  bubble.status = highest ?? 'pending';
  bubble.anomalies = [...new Set(bubble.anomalies)];
}
