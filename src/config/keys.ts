/**
 * The settings custom-channel keeps: what respond.io shows when a Custom Channel is added,
 * and the Developer API credentials. Each has a CLI name, an environment variable and a
 * zod schema that checks a value before it is stored.
 */
import { z } from 'zod';
import { DEFAULT_DEVELOPER_API_URL } from '../contract/developer-api.js';
import { IdTypeSchema } from '../contract/ids.js';
import { DEFAULT_WEBHOOK_URL } from '../contract/webhook.js';

const httpUrl = z.string().refine((v) => /^https?:\/\/[^\s/]+/.test(v), { message: 'must be an http(s) URL' });
// No length rule: respond.io does not document one, and a placeholder must be storable too.
const secret = z
  .string()
  .min(1, { message: 'must not be empty' })
  .regex(/^\S+$/, { message: 'must not contain spaces' });

export interface ConfigKeySpec {
  /** Name on the command line: `config set <name> <value>`. */
  name: string;
  env: string;
  secret: boolean;
  schema: z.ZodType<string>;
  default?: string;
  description: string;
}

export const configKeys = {
  channelId: {
    name: 'channel-id',
    env: 'RESPONDIO_CHANNEL_ID',
    secret: false,
    schema: z.string().min(1).regex(/^\S+$/, { message: 'must not contain spaces' }),
    description: 'Channel ID shown by respond.io for the Custom Channel',
  },
  token: {
    name: 'token',
    env: 'RESPONDIO_CHANNEL_TOKEN',
    secret: true,
    schema: secret,
    description: 'API Token of the channel (used both ways as Bearer)',
  },
  webhookUrl: {
    name: 'webhook-url',
    env: 'RESPONDIO_WEBHOOK_URL',
    secret: false,
    schema: httpUrl,
    default: DEFAULT_WEBHOOK_URL,
    description: 'Webhook URL the integration server posts events to',
  },
  idType: {
    name: 'id-type',
    env: 'RESPONDIO_ID_TYPE',
    secret: false,
    schema: IdTypeSchema,
    default: 'phone',
    description: 'ID type of the channel: phone or custom',
  },
  devApiToken: {
    name: 'dev-api-token',
    env: 'RESPONDIO_API_TOKEN',
    secret: true,
    schema: secret,
    description: 'Developer API v2 access token (for send --live)',
  },
  devApiUrl: {
    name: 'dev-api-url',
    env: 'RESPONDIO_API_URL',
    secret: false,
    schema: httpUrl,
    default: DEFAULT_DEVELOPER_API_URL,
    description: 'Developer API v2 base URL',
  },
  devApiChannelId: {
    name: 'dev-api-channel-id',
    env: 'RESPONDIO_API_CHANNEL_ID',
    secret: false,
    schema: z.string().regex(/^\d+$/, { message: 'must be the numeric channel ID of the Developer API' }),
    description: 'numeric channel ID used by the Developer API (send --live)',
  },
} satisfies Record<string, ConfigKeySpec>;

export type ConfigKey = keyof typeof configKeys;
export const configKeyList = Object.keys(configKeys) as ConfigKey[];

/** Finds a key by its CLI name (`channel-id`) or its property name (`channelId`). */
export function findConfigKey(name: string): ConfigKey | undefined {
  return configKeyList.find((key) => key === name || configKeys[key].name === name);
}
