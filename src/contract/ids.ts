/**
 * respond.io's contact ID types (contract section 2, grade A): the channel's ID type decides
 * what a `contactId` may look like.
 */
import { z } from 'zod';

/** E.164 with a leading `+`: a country code that does not start with 0, 7 to 15 digits in all. */
export const PHONE_E164 = /^\+[1-9]\d{6,14}$/;
/** Custom ID: 1 to 50 characters from `A-Z a-z 0-9 _ = + / @`. */
export const CUSTOM_ID = /^[A-Za-z0-9_=+/@]{1,50}$/;

import { type IdType, idTypes } from './constants.js';

export { type IdType, idTypes };
export const IdTypeSchema = z.enum(idTypes);

/** How respond.io labels each ID type in its UI. */
export const idTypeLabels: Record<IdType, string> = {
  phone: 'Phone Number',
  custom: 'Custom ID',
};

/**
 * Why `contactId` does not fit the ID type, or `undefined` when it does.
 * @example contactIdProblem('60177872890', 'phone') // 'must be E.164 with a leading "+", e.g. +60177872890'
 */
export function contactIdProblem(contactId: string, idType: IdType): string | undefined {
  if (idType === 'phone') {
    if (!contactId.startsWith('+')) return 'must be E.164 with a leading "+", e.g. +60177872890';
    if (!PHONE_E164.test(contactId)) return 'must be E.164: "+" then 7 to 15 digits, e.g. +60177872890';
    return undefined;
  }
  if (contactId.length > 50) return `must be at most 50 characters (got ${contactId.length})`;
  const bad = [...contactId].find((ch) => !/[A-Za-z0-9_=+/@]/.test(ch));
  if (bad !== undefined)
    return `has a character a Custom ID cannot hold: ${JSON.stringify(bad)} (allowed: A-Z a-z 0-9 _ = + / @)`;
  if (contactId.length === 0) return 'must not be empty';
  return undefined;
}
