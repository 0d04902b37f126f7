/**
 * Deadlines that share Node timers: a deadline is rounded up to the next 10 ms, and each 10 ms
 * slot has one timer that fires every deadline in it. A Node timer per call (one per `/message`
 * try) cost a timer list of its own, and a priority-queue insert and removal, whenever no other
 * timer of that length was pending, which under load was nearly every request.
 *
 * Slots are numbered on the monotonic clock (small integers, cheap map keys), and a slot's
 * members sit in an array at the index each member keeps: joining and leaving hash nothing.
 * A slot's timer holds the process open only while a deadline waits in it; an empty slot stays
 * (unreferenced) until it fires, for the deadlines that land in it next.
 */

const SLOT_MS = 10;

interface Slot {
  readonly timer: NodeJS.Timeout;
  readonly members: Array<DeadlineMember | undefined>;
  live: number;
}

/** What waits for a deadline: `expire()` is called once the deadline has passed. */
export interface DeadlineMember {
  expire(): void;
  /** Where the member sits in its slot (set by `atDeadline`). */
  slotIndex?: number;
}

const slots = new Map<number, Slot>();

function fire(due: number): void {
  const slot = slots.get(due);
  slots.delete(due);
  if (!slot) return;
  for (const member of slot.members) member?.expire();
}

/**
 * Calls `member.expire()` once `ms` have passed (up to 10 ms later); returns the slot's key
 * for `cancelDeadline`.
 * @example const key = atDeadline(5000, attempt); ... cancelDeadline(key, attempt)
 */
export function atDeadline(ms: number, member: DeadlineMember): number {
  const now = performance.now();
  const due = Math.ceil((now + Math.max(0, ms)) / SLOT_MS);
  let slot = slots.get(due);
  if (!slot) {
    slot = { timer: setTimeout(fire, Math.max(1, due * SLOT_MS - now), due), members: [], live: 0 };
    slots.set(due, slot);
  } else if (slot.live === 0) slot.timer.ref();
  member.slotIndex = slot.members.length;
  slot.members.push(member);
  slot.live += 1;
  return due;
}

/** Forgets a deadline that is no longer needed. */
export function cancelDeadline(key: number, member: DeadlineMember): void {
  const slot = slots.get(key);
  const index = member.slotIndex;
  if (!slot || index === undefined || slot.members[index] !== member) return;
  slot.members[index] = undefined;
  slot.live -= 1;
  if (slot.live === 0) slot.timer.unref();
}
