/**
 * The emulated channels' credentials: given ones win, the rest are generated once and kept in
 * `<stateDir>/emulator.json` (mode 0600) so the integration server's `.env` stays valid across
 * restarts.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { IdTypeSchema } from '../contract/ids.js';
import { CliError } from '../errors.js';
import { generateToken, writePrivateFile } from '../secrets.js';
import type { EmulatorChannel } from './types.js';

export const CREDENTIALS_FILE = 'emulator.json';

const StoredSchema = z.object({
  channels: z
    .array(
      z.object({
        channelId: z.string().min(1),
        numericId: z.int().positive().optional(),
        token: z.string().min(1),
        idType: IdTypeSchema,
      }),
    )
    .default([]),
  devApiToken: z.string().min(1).optional(),
});
type Stored = z.infer<typeof StoredSchema>;

/** A channel ID of respond.io's look: 14 lowercase letters and digits. */
export function generateChannelId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(14)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

async function readStored(path: string): Promise<Stored> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { channels: [] };
    throw error;
  }
  try {
    const parsed = StoredSchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
  } catch {
    // Reported below.
  }
  throw new CliError(`${path} is not a valid emulator credentials file`, {
    hint: 'delete it to generate new credentials (the integration server then needs the new token)',
  });
}

export interface ResolvedCredentials {
  channels: EmulatorChannel[];
  devApiToken: string;
}

/**
 * Merges given channel fields over stored ones over generated ones; writes the file when
 * something was generated or changed.
 */
export async function resolveCredentials(options: {
  channels?: Array<Partial<EmulatorChannel>>;
  stateDir?: string;
  devApiToken?: string;
}): Promise<ResolvedCredentials> {
  const path = options.stateDir ? join(options.stateDir, CREDENTIALS_FILE) : undefined;
  const stored = path ? await readStored(path) : { channels: [] };
  const wanted = options.channels?.length ? options.channels : [{}];
  const channels = wanted.map((given, i): EmulatorChannel => {
    const kept = stored.channels[i];
    return {
      channelId: given.channelId ?? kept?.channelId ?? generateChannelId(),
      numericId: given.numericId ?? kept?.numericId ?? i + 1,
      token: given.token ?? kept?.token ?? generateToken(),
      idType: given.idType ?? kept?.idType ?? 'phone',
      ...(given.apiBaseUrl ? { apiBaseUrl: given.apiBaseUrl } : {}),
      ...(given.name ? { name: given.name } : {}),
    };
  });
  const ids = new Set(channels.map((c) => c.channelId));
  if (ids.size !== channels.length) throw new CliError('two emulated channels have the same channel ID');
  const devApiToken = options.devApiToken ?? stored.devApiToken ?? generateToken();
  const next: Stored = {
    channels: channels.map(({ channelId, numericId, token, idType }) => ({ channelId, numericId, token, idType })),
    devApiToken,
  };
  if (path && JSON.stringify(next) !== JSON.stringify(stored)) {
    await writePrivateFile(path, `${JSON.stringify(next, null, 2)}\n`);
  }
  return { channels, devApiToken };
}
