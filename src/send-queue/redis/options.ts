/** Settings of the Redis send queue: the file queue's, plus where and how instances share it. */
import type { OpenRedisOptions } from '../../outbox/redis/open.js';
import type { SendQueueOptions } from '../options.js';

export interface RedisSendQueueOptions extends SendQueueOptions, OpenRedisOptions {
  /** The respond.io channel: its instances share one send queue, one sendRate budget and one id map. */
  channelId: string;
  /** Key prefix (default the outbox's, `custom-channel:{<channelId>}:`; the send queue's keys follow with `send:`). */
  prefix?: string;
  /**
   * A contact whose send is being tried, and a contact held by a `/message` still retrying,
   * are leased this long, renewed while the instance lives (default 5,000 ms): the contacts
   * of an instance that died are taken over once it ran out.
   */
  leaseMs?: number;
  /** How often an idle instance looks for sends queued by the others (default 100 ms). */
  idlePollMs?: number;
}

/** The send queue's keys start with this (`<prefix>send:`). */
export const redisPrefixOf = (options: Pick<RedisSendQueueOptions, 'channelId' | 'prefix'>) =>
  options.prefix ?? `custom-channel:{${options.channelId}}:`;
