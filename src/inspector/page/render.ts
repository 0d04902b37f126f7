/** The conversation list and the chat timeline: bubbles, ticks, anomalies, notes. */
import type { Bubble, Conversation, InspectorView, Note } from '../model-types.js';
import type { Entry, InspectorInfo } from '../types.js';
import { clock, h, pretty } from './dom.js';
import { type ExchangeActions, renderExchanges } from './exchanges.js';

export interface Filters {
  contact: string;
  type: string;
  status: string;
}

export interface PageState {
  entries: Map<number, Entry>;
  view: InspectorView;
  selected?: string;
  filters: Filters;
  /** Keys of `<details>` the user opened, kept across re-renders. */
  open: Set<string>;
  info?: InspectorInfo;
}

/** Does a bubble pass the type and status filters? */
export function bubbleMatches(bubble: Bubble, filters: Filters): boolean {
  if (filters.type && bubble.message?.type !== filters.type) return false;
  if (filters.status === 'anomaly') return bubble.anomalies.length > 0;
  if (filters.status) return bubble.kind === 'outbound' && bubble.status === filters.status;
  return true;
}

function noteMatches(note: Note, filters: Filters): boolean {
  if (filters.type) return false;
  return !filters.status || (filters.status === 'anomaly' && note.anomaly);
}

/** Conversations that pass the filters (a contact filter matches the ID or the name). */
export function visibleConversations(state: PageState): Conversation[] {
  const needle = state.filters.contact.trim().toLowerCase();
  return state.view.conversations.filter((c) => {
    if (needle && !`${c.contactId} ${c.name ?? ''}`.toLowerCase().includes(needle)) return false;
    if (!state.filters.type && !state.filters.status) return true;
    return c.bubbles.some((b) => bubbleMatches(b, state.filters)) || c.notes.some((n) => noteMatches(n, state.filters));
  });
}

/** A one-line summary of a message, for the contact list. */
export function preview(message: Record<string, unknown> | undefined): string {
  if (!message) return '(no message)';
  const attachment = (message.attachment ?? {}) as Record<string, unknown>;
  switch (message.type) {
    case 'text':
      return String(message.text ?? '');
    case 'attachment':
      return `[${attachment.type ?? 'file'}] ${attachment.fileName ?? attachment.url ?? ''}`.trim();
    case 'location':
      return `[location] ${message.address ?? `${message.latitude}, ${message.longitude}`}`;
    case 'quick_reply':
      return `[quick reply] ${message.title ?? ''}`;
    case 'custom_payload':
      return '[custom payload]';
    default:
      return String(message.type ?? 'message');
  }
}

export function renderContacts(state: PageState, select: (contactId: string) => void): Node[] {
  const list = visibleConversations(state);
  if (list.length === 0)
    return [h('p', { class: 'empty' }, state.view.conversations.length ? 'No match.' : 'Waiting for traffic…')];
  return list.map((c) => {
    const last = c.bubbles.at(-1);
    const failed = c.bubbles.filter((b) => b.status === 'failed').length;
    return h(
      'button',
      {
        class: `contact${c.contactId === state.selected ? ' active' : ''}`,
        'data-contact': c.contactId,
        onclick: () => select(c.contactId),
      },
      h('span', { class: 'avatar' }, (c.name ?? c.contactId).replace(/^\+/, '').slice(0, 2).toUpperCase()),
      h(
        'span',
        { class: 'who' },
        h('b', null, c.name ?? c.contactId),
        c.name ? h('small', null, c.contactId) : null,
        h('span', { class: 'last' }, last ? `${last.kind === 'inbound' ? '' : '↪ '}${preview(last.message)}` : ''),
      ),
      h(
        'span',
        { class: 'badges' },
        h('small', null, c.lastTime ? clock(c.lastTime).slice(0, 8) : ''),
        failed ? h('span', { class: 'badge failed', title: 'failed messages' }, `✕ ${failed}`) : null,
        c.anomalyCount ? h('span', { class: 'badge anomaly', title: 'anomalies' }, `⚠ ${c.anomalyCount}`) : null,
      ),
    );
  });
}

const TICKS: Record<string, string> = { pending: '◷', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '✕' };

function renderContent(message: Record<string, unknown> | undefined): Node {
  if (!message) return h('div', { class: 'content muted' }, '(no message body)');
  const attachment = (message.attachment ?? {}) as Record<string, unknown>;
  switch (message.type) {
    case 'text':
      return h('div', { class: 'content text' }, String(message.text ?? ''));
    case 'attachment':
      return h(
        'div',
        { class: 'content attachment' },
        h('span', { class: 'att-icon' }, '⎙'),
        h(
          'span',
          null,
          h('b', null, String(attachment.type ?? 'file')),
          ' ',
          String(attachment.fileName ?? ''),
          h('br'),
          h('small', null, String(attachment.url ?? '')),
        ),
      );
    case 'location':
      return h(
        'div',
        { class: 'content' },
        `⌖ ${message.latitude}, ${message.longitude}`,
        message.address ? h('br') : null,
        message.address ? String(message.address) : null,
      );
    case 'quick_reply':
      return h(
        'div',
        { class: 'content' },
        String(message.title ?? ''),
        h(
          'div',
          { class: 'chips' },
          ((message.replies as unknown[]) ?? []).map((r) => h('span', { class: 'chip' }, String(r))),
        ),
      );
    default:
      return h('pre', { class: 'content payload' }, pretty(message.payload ?? message));
  }
}

function renderTicks(bubble: Bubble): Node | null {
  if (bubble.kind !== 'outbound') return null;
  const status = bubble.status ?? 'pending';
  const history = bubble.statuses
    .map((s) => `${s.value} ${clock(s.at)}${s.message ? ` (${s.message})` : ''}`)
    .join('\n');
  return h(
    'span',
    { class: `ticks ${status}`, 'data-status': status, title: history || status },
    `${TICKS[status] ?? ''} ${status}`,
  );
}

function renderBubble(state: PageState, bubble: Bubble, actions: ExchangeActions): HTMLElement {
  const label =
    bubble.kind === 'echo'
      ? 'echo · sent from the provider app'
      : bubble.kind === 'outbound'
        ? 'respond.io → contact'
        : 'contact → respond.io';
  return h(
    'div',
    { class: `msg ${bubble.kind}`, 'data-key': bubble.key, 'data-type': String(bubble.message?.type ?? '') },
    h(
      'div',
      { class: 'bubble' },
      h(
        'div',
        { class: 'label' },
        label,
        bubble.message?.type ? h('span', { class: 'type' }, String(bubble.message.type)) : null,
      ),
      renderContent(bubble.message),
      h(
        'div',
        { class: 'meta' },
        h('span', { title: 'time' }, clock(bubble.time).slice(0, 8)),
        bubble.mId ? h('code', { title: 'mId' }, bubble.mId) : null,
        renderTicks(bubble),
      ),
      bubble.status === 'failed'
        ? h('div', { class: 'failed-reason' }, `✕ failed: ${bubble.failedReason ?? 'no reason given'}`)
        : null,
      bubble.anomalies.length
        ? h(
            'ul',
            { class: 'anomalies' },
            bubble.anomalies.map((a) => h('li', null, `⚠ ${a}`)),
          )
        : null,
    ),
    renderExchanges(state, bubble.key, bubble.exchanges, actions),
  );
}

function renderNote(state: PageState, note: Note, actions: ExchangeActions): HTMLElement {
  return h(
    'div',
    { class: `note${note.anomaly ? ' anomaly' : ''}` },
    h(
      'div',
      { class: 'note-text' },
      `${note.anomaly ? '⚠ ' : ''}${note.text}`,
      h('small', null, ` · ${clock(note.time).slice(0, 8)}`),
    ),
    note.exchanges.length ? renderExchanges(state, note.key, note.exchanges, actions) : null,
  );
}

/** The selected conversation as a timeline, bubbles and notes in time order. */
export function renderTimeline(state: PageState, actions: ExchangeActions): Node[] {
  const conversation = state.view.conversations.find((c) => c.contactId === state.selected);
  if (!conversation) {
    if (state.selected === '')
      return [
        h('h3', { class: 'other' }, 'Traffic tied to no contact'),
        renderExchanges(state, 'unmatched', state.view.unmatched, actions, true),
      ];
    return [h('p', { class: 'empty' }, 'Pick a conversation, or send a message below.')];
  }
  const rows: { time: number; node: () => HTMLElement }[] = [
    ...conversation.bubbles
      .filter((b) => bubbleMatches(b, state.filters))
      .map((b) => ({ time: b.time, node: () => renderBubble(state, b, actions) })),
    ...conversation.notes
      .filter((n) => noteMatches(n, state.filters))
      .map((n) => ({ time: n.time, node: () => renderNote(state, n, actions) })),
  ];
  rows.sort((a, b) => a.time - b.time);
  return rows.length ? rows.map((r) => r.node()) : [h('p', { class: 'empty' }, 'Nothing matches the filters.')];
}
