/** The raw exchanges under a bubble: both legs, headers (masked) and pretty bodies, with actions. */
import type { Exchange } from '../../exchange.js';
import { exchangeOf } from '../model.js';
import type { Entry } from '../types.js';
import { clock, h, pretty } from './dom.js';
import type { PageState } from './render.js';

export interface ExchangeActions {
  replay(seq: number): void;
  editReplay(seq: number): void;
  copyCurl(seq: number): void;
}

const LEGS: Record<string, string> = {
  'respondio:in': 'respond.io → bridge',
  'respondio:out': 'bridge → respond.io',
  'provider:out': 'bridge → provider',
  'provider:in': 'provider → bridge',
  'queue:out': 'bridge send queue',
};

/** `respond.io → bridge` and the like. */
export function legLabel(exchange: Pick<Exchange, 'leg' | 'direction'>): string {
  return LEGS[`${exchange.leg}:${exchange.direction}`] ?? `${exchange.leg} ${exchange.direction}`;
}

const rec = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' ? (value as Record<string, unknown>) : {};

/** What a request carried, in a few words: `message_status read`, `status delivered`, `text`. */
export function describeRequest(exchange: Pick<Exchange, 'requestBody'>): string | undefined {
  const body = rec(exchange.requestBody);
  if (Array.isArray(body.events)) {
    return body.events
      .map(rec)
      .map((e) =>
        e.type === 'message_status' ? `status ${rec(e.status).value}` : `${e.type} ${rec(e.message).type ?? ''}`.trim(),
      )
      .join(', ');
  }
  if (typeof body.kind === 'string') return `${body.kind} ${body.status ?? body.type ?? ''}`.trim();
  if (typeof rec(body.message).type === 'string') return String(rec(body.message).type);
  return typeof body.type === 'string' ? body.type : undefined;
}

/** `12 ms`, `0.4 ms`: recorders differ in precision, the page does not. */
export function formatMs(ms: number): string {
  return `${ms >= 10 ? Math.round(ms) : Math.round(ms * 10) / 10} ms`;
}

function headerTable(headers: Record<string, string> | undefined): Node {
  const rows = Object.entries(headers ?? {});
  if (rows.length === 0) return h('p', { class: 'muted' }, 'no headers');
  return h(
    'table',
    { class: 'headers' },
    rows.map(([name, value]) => h('tr', null, h('th', null, name), h('td', null, value))),
  );
}

function side(title: string, headers: Record<string, string> | undefined, body: unknown): Node {
  return h(
    'div',
    { class: 'side' },
    h('h4', null, title),
    headerTable(headers),
    body === undefined ? h('p', { class: 'muted' }, 'no body') : h('pre', { class: 'body' }, pretty(body)),
  );
}

function renderOne(state: PageState, entry: Entry, actions: ExchangeActions): Node | null {
  const x = exchangeOf(entry);
  if (!x) return null;
  const key = `x:${entry.seq}`;
  const ok = x.status >= 200 && x.status < 300;
  const details = h(
    'details',
    { class: `x ${x.leg}`, 'data-key': key, 'data-seq': entry.seq, open: state.open.has(key) },
    h(
      'summary',
      null,
      h('span', { class: `leg ${x.leg}` }, legLabel(x)),
      entry.kind === 'replay' ? h('span', { class: 'replayed' }, `↻ replay of #${entry.exchange.replayOf}`) : null,
      entry.kind === 'emulator'
        ? h('span', { class: 'seen-by', title: 'as the emulator (respond.io) recorded it' }, 'respond.io view')
        : null,
      h('b', { class: 'method' }, x.method),
      h('code', { class: 'url' }, x.url),
      describeRequest(x) ? h('span', { class: 'what' }, describeRequest(x)) : null,
      h('span', { class: `code ${ok ? 'ok' : 'bad'}` }, x.status ? String(x.status) : 'no answer'),
      h('span', { class: 'lat' }, formatMs(x.latencyMs)),
      h('small', { class: 'when' }, `#${entry.seq} · ${clock(x.time)}`),
    ),
    h(
      'div',
      { class: 'x-body' },
      x.error ? h('p', { class: 'error' }, x.error) : null,
      h(
        'div',
        { class: 'x-actions' },
        h('button', { type: 'button', class: 'replay', onclick: () => actions.replay(entry.seq) }, '↻ Replay'),
        h(
          'button',
          { type: 'button', class: 'edit-replay', onclick: () => actions.editReplay(entry.seq) },
          '✎ Edit & replay',
        ),
        h('button', { type: 'button', class: 'curl', onclick: () => actions.copyCurl(entry.seq) }, 'Copy as curl'),
      ),
      h(
        'div',
        { class: 'sides' },
        side('Request', x.requestHeaders, x.requestBody),
        side(`Response · ${x.status || 'no answer'}`, x.responseHeaders, x.responseBody),
      ),
    ),
  );
  details.addEventListener('toggle', () => (details.open ? state.open.add(key) : state.open.delete(key)));
  return details;
}

const entryTime = (entry: Entry) => exchangeOf(entry)?.time ?? entry.time;

/** A collapsible list of exchanges (by history seq) under `key`. */
export function renderExchanges(
  state: PageState,
  key: string,
  seqs: readonly number[],
  actions: ExchangeActions,
  openByDefault = false,
): HTMLElement {
  const entries = seqs
    .map((seq) => state.entries.get(seq))
    .filter((e): e is Entry => e !== undefined)
    .sort((a, b) => entryTime(a) - entryTime(b) || a.seq - b.seq);
  const legs = new Set(entries.map((e) => exchangeOf(e)?.leg));
  const listKey = `legs:${key}`;
  const details = h(
    'details',
    { class: 'legs', 'data-key': listKey, open: openByDefault || state.open.has(listKey) },
    h(
      'summary',
      null,
      `${entries.length} exchange${entries.length === 1 ? '' : 's'}`,
      h(
        'span',
        { class: 'muted' },
        legs.has('provider') && legs.has('respondio')
          ? ' · both legs'
          : legs.has('provider')
            ? ' · provider leg'
            : ' · respond.io leg',
      ),
    ),
    entries.map((e) => renderOne(state, e, actions)),
  );
  details.addEventListener('toggle', () => (details.open ? state.open.add(listKey) : state.open.delete(listKey)));
  return details;
}
