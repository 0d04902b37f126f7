/**
 * `outbox purge` deletes events for good: on a terminal it asks first, unless `--yes`;
 * elsewhere (CI, pipes) it needs `--yes`, so a script never hangs on a question.
 */
import { usageError } from '../errors.js';

export interface PurgeDecisionInput {
  yes: boolean;
  /** stdin is a terminal and output is not --json. */
  interactive: boolean;
  /** How many would go; 0 needs no question. */
  count: number;
  what: string;
  ask(message: string): Promise<boolean>;
}

/**
 * @example await shouldPurge({ yes: false, interactive: true, count: 3, what: 'dead letter(s)', ask }) // asks
 */
export async function shouldPurge(input: PurgeDecisionInput): Promise<boolean> {
  if (input.yes || input.count === 0) return true;
  if (!input.interactive) {
    throw usageError(
      `outbox purge would delete ${input.count} ${input.what}: pass --yes to confirm`,
      'e.g. custom-channel outbox purge --dead --yes',
    );
  }
  return input.ask(`Delete ${input.count} ${input.what} for good?`);
}
