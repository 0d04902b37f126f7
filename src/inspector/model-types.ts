/** The inspector's view of traffic: conversations, bubbles, status ticks and notes. */

export type BubbleKind = 'inbound' | 'outbound' | 'echo';

/** One status as respond.io recorded it (or as the bridge's traffic implies it). */
export interface StatusMark {
  value: string;
  at: number;
  message?: string;
  /** `response`: the `/message` answer. `callback`: a `message_status` webhook. `emulator`: its record. */
  source: 'response' | 'callback' | 'emulator';
}

/** One message in a conversation. */
export interface Bubble {
  /** `out:<mId>`, `in:<mId>`, `echo:<mId>`, or `x:<seq>` for a send that got no mId. */
  key: string;
  kind: BubbleKind;
  contactId: string;
  time: number;
  mId?: string;
  /** The respond.io message object (`{ type, text, ... }`). */
  message?: Record<string, unknown>;
  statuses: StatusMark[];
  /** Outbound only: the tick shown (`pending`, `sent`, `delivered`, `read`, `failed`). */
  status?: string;
  failedReason?: string;
  anomalies: string[];
  /** History `seq`s of the exchanges of both legs that carried this message. */
  exchanges: number[];
  /** respond.io accepted it at least once (duplicate detection). */
  accepted?: boolean;
}

/** A row in a conversation that is not a message: a rejected webhook, an orphan status. */
export interface Note {
  key: string;
  time: number;
  text: string;
  anomaly: boolean;
  exchanges: number[];
  /** The mId the note is about (an orphan status), so the request that carried it joins the note. */
  mId?: string;
}

export interface Conversation {
  contactId: string;
  /** From the webhook's `contact` fields, when sent. */
  name?: string;
  bubbles: Bubble[];
  notes: Note[];
  lastTime: number;
  anomalyCount: number;
}

export interface InspectorView {
  /** Most recent first. */
  conversations: Conversation[];
  /** History `seq`s of exchanges tied to no contact (health checks, bad tokens, ...). */
  unmatched: number[];
}

export const STATUS_RANK: Record<string, number> = { pending: 0, sent: 1, delivered: 2, read: 3, failed: 4 };
