/**
 * The embedded respond.io emulator as a library.
 *
 * Emulator choices (respond.io documents none of these; each is also named where it is made):
 * - webhook success answer: 200 `{"status":"ok"}`; errors `{"error":{"message","problems"?}}`
 *   (401 token, 400 channel/contract, 413 body over 1 MiB by default, 415 non-JSON, 429 limit);
 * - the 20/s limit is a sliding window per channel; every authenticated post counts, accepted or
 *   not; `Retry-After` is whole seconds, at least 1;
 * - faults: failure rate and `force5xx: true` answer 503, `force429` answers 429 `Retry-After: 1`;
 * - `/message`: 10 s timeout, no retry; any 2xx with a valid mId is success (non-200 noted as a
 *   warning); a failure's reason is the server's `error.message`, else a description;
 * - status history records every reported status; the current status only moves forward
 *   (pending < sent < delivered < read), `failed` is final; a repeat is not recorded twice, except
 *   the server's "sent" after `/message` answered (the normal flow);
 * - a status for an unknown mId (or for a message from the contact) is reported and ignored; a
 *   repeated inbound/echo mId is reported and not stored again; a `message_echo` is stored as an
 *   outgoing message already `sent`; a post with only statuses creates no contact;
 * - contact profile: the first post's `contact` fields, later posts merge in;
 * - only Phone Number channels may write first (contract A); outgoing to an unknown contact on a
 *   Custom ID channel is refused (404);
 * - broadcasts are sent at 20 messages per second;
 * - Developer API: numeric channel IDs 1, 2, … in channel order; 10 requests/s per token;
 *   `email:` matches the contact's `email` field; `phone:` on a Phone Number channel creates the
 *   contact; errors `{code, message, problems?}`; `pagination.next` is a URL or `""`, `previous`
 *   `""`; a send without `channelId` goes to the contact's last interacted channel; unknown `/v2`
 *   routes are 501 (see dev-api.ts and dev-api-directory.ts);
 * - `/_emulator/` has no authentication (loopback by default);
 * - anomalies are warnings with the note that respond.io's own behaviour is undocumented.
 */
export { CREDENTIALS_FILE } from './credentials.js';
export { EmulatorInputError } from './outgoing.js';
export { buildEmulator, type EmulatorApp, startEmulator } from './server.js';
export type * from './types.js';
