/**
 * The inspector page: loads nothing from the network but this server, follows the live
 * stream, rebuilds the view with the shared model on every entry and re-renders once per frame.
 */
import { buildCurl } from '../curl.js';
import { buildView, exchangeOf } from '../model.js';
import type { Entry, InspectorInfo, SendOutcome } from '../types.js';
import { setupCompose } from './compose.js';
import { byId, h, pretty } from './dom.js';
import type { ExchangeActions } from './exchanges.js';
import { type PageState, renderContacts, renderTimeline } from './render.js';

const state: PageState = {
  entries: new Map(),
  view: { conversations: [], unmatched: [] },
  filters: { contact: '', type: '', status: '' },
  open: new Set(),
};

async function api(path: string, body?: unknown): Promise<SendOutcome> {
  const response = await fetch(
    path,
    body === undefined
      ? undefined
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
  );
  const data = await response.json();
  if (!response.ok && data?.error)
    return { ok: false, status: response.status, latencyMs: 0, error: data.error.message };
  return data;
}

let scheduled = false;
/** Coalesces bursts of entries into one render per frame. */
function render(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    state.view = buildView([...state.entries.values()]);
    if (state.selected === undefined && state.view.conversations.length)
      select(state.view.conversations[0].contactId, false);
    const timeline = byId('timeline');
    const atBottom = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 40;
    const contacts = renderContacts(state, (id) => select(id));
    if (state.view.unmatched.length) {
      contacts.push(
        h(
          'button',
          { class: `contact other${state.selected === '' ? ' active' : ''}`, onclick: () => select('') },
          h('span', { class: 'avatar' }, '⋯'),
          h(
            'span',
            { class: 'who' },
            h('b', null, 'Other traffic'),
            h('span', { class: 'last' }, `${state.view.unmatched.length} exchanges without a contact`),
          ),
        ),
      );
    }
    byId('contacts').replaceChildren(...contacts);
    const conversation = state.view.conversations.find((c) => c.contactId === state.selected);
    byId('chat-head').replaceChildren(
      conversation
        ? h(
            'span',
            null,
            h('b', null, conversation.name ?? conversation.contactId),
            conversation.name ? h('small', null, ` ${conversation.contactId}`) : null,
            h('small', { class: 'muted' }, ` · ${conversation.bubbles.length} messages`),
          )
        : h('span', { class: 'muted' }, state.selected === '' ? 'Other traffic' : 'No conversation selected'),
    );
    timeline.replaceChildren(...renderTimeline(state, actions));
    if (atBottom) timeline.scrollTop = timeline.scrollHeight;
  });
}

function select(contactId: string, rerender = true): void {
  state.selected = contactId;
  if (contactId) byId<HTMLInputElement>('c-contact').value = contactId;
  if (rerender) render();
  requestAnimationFrame(() => {
    const timeline = byId('timeline');
    timeline.scrollTop = timeline.scrollHeight;
  });
}

function toast(text: string, bad = false): void {
  const note = h('div', { class: `toast${bad ? ' bad' : ''}`, role: 'status' }, text);
  document.body.append(note);
  setTimeout(() => note.remove(), 3500);
}

function exchangeAt(seq: number) {
  const entry = state.entries.get(seq);
  return entry ? exchangeOf(entry) : undefined;
}

async function replay(body: Record<string, unknown>): Promise<SendOutcome> {
  const outcome = await api('/api/replay', body);
  toast(
    outcome.ok
      ? `↻ replayed #${body.seq}: ${outcome.status} in ${outcome.latencyMs} ms`
      : `↻ replay of #${body.seq}: ${outcome.error ?? outcome.status}`,
    !outcome.ok,
  );
  return outcome;
}

function openEditor(seq: number): void {
  const exchange = exchangeAt(seq);
  if (!exchange) return;
  const dialog = byId<HTMLDialogElement>('replay-dialog');
  const method = h('input', { name: 'method', value: exchange.method, 'aria-label': 'method', class: 'method' });
  const url = h('input', { name: 'url', value: exchange.url, 'aria-label': 'url', class: 'url' });
  const headers = h('textarea', { name: 'headers', rows: 5, 'aria-label': 'headers' });
  headers.value = pretty(exchange.requestHeaders);
  const body = h('textarea', { name: 'body', rows: 10, 'aria-label': 'body' });
  body.value = pretty(exchange.requestBody);
  const result = h('pre', { class: 'body result-body' });
  const send = async () => {
    let edited: Record<string, unknown>;
    try {
      let parsedBody: unknown = body.value;
      try {
        parsedBody = JSON.parse(body.value);
      } catch {
        // Sent verbatim as text.
      }
      edited = {
        seq,
        method: method.value,
        url: url.value,
        headers: JSON.parse(headers.value || '{}'),
        body: parsedBody,
      };
    } catch {
      result.textContent = 'headers: not valid JSON';
      return;
    }
    const outcome = await replay(edited);
    result.textContent = `${outcome.status || 'no answer'} · ${outcome.latencyMs} ms\n${pretty(outcome.body ?? outcome.error)}`;
  };
  dialog.replaceChildren(
    h('h3', null, `Edit & replay #${seq}`),
    h(
      'p',
      { class: 'muted' },
      'Masked secrets and $TOKEN are filled in by the inspector server; the page never holds them.',
    ),
    h('div', { class: 'row' }, method, url),
    h('label', null, 'Headers (JSON)', headers),
    h('label', null, 'Body', body),
    result,
    h(
      'div',
      { class: 'row end' },
      h('button', { type: 'button', onclick: () => dialog.close() }, 'Close'),
      h('button', { type: 'button', class: 'primary send-replay', onclick: send }, '↻ Send'),
    ),
  );
  dialog.showModal();
}

const actions: ExchangeActions = {
  replay: (seq) => void replay({ seq }),
  editReplay: openEditor,
  copyCurl: async (seq) => {
    const exchange = exchangeAt(seq);
    if (!exchange) return;
    const command = buildCurl(exchange, state.info?.bridgeUrl);
    try {
      await navigator.clipboard.writeText(command);
      toast('curl copied; export TOKEN=<your channel token> before running it');
    } catch {
      const dialog = byId<HTMLDialogElement>('replay-dialog');
      const text = h('textarea', { rows: 6, readonly: true, class: 'curl-text' });
      text.value = command;
      dialog.replaceChildren(
        h('h3', null, 'Copy as curl'),
        text,
        h('div', { class: 'row end' }, h('button', { type: 'button', onclick: () => dialog.close() }, 'Close')),
      );
      dialog.showModal();
      text.select();
    }
  },
};

function connect(): void {
  const live = byId('live');
  const last = Math.max(0, ...state.entries.keys());
  const source = new EventSource(`/api/stream?since=${last}`);
  source.addEventListener('entries', (event) => {
    for (const entry of JSON.parse((event as MessageEvent).data) as Entry[]) state.entries.set(entry.seq, entry);
    // The server keeps its newest `maxHistory`; so does the page, however long it stays open.
    const max = state.info?.maxHistory ?? 1000;
    if (state.entries.size > max) {
      const seqs = [...state.entries.keys()].sort((a, b) => a - b);
      for (const seq of seqs.slice(0, seqs.length - max)) state.entries.delete(seq);
    }
    render();
  });
  source.addEventListener('reset', () => state.entries.clear());
  source.addEventListener('ready', () => {
    live.className = 'live on';
    live.textContent = 'live';
  });
  source.onerror = () => {
    live.className = 'live off';
    live.textContent = 'reconnecting…';
  };
}

function setupFilters(): void {
  const bind = (id: string, key: keyof PageState['filters']) =>
    byId<HTMLInputElement>(id).addEventListener('input', (event) => {
      state.filters[key] = (event.target as HTMLInputElement).value;
      render();
    });
  bind('f-contact', 'contact');
  bind('f-type', 'type');
  bind('f-status', 'status');
}

// The session token came in the URL `dev` printed; the server keeps it in a cookie now, so it
// leaves the address bar (and the browser history, and any screenshot).
if (new URLSearchParams(location.search).has('token')) history.replaceState(null, '', location.pathname);
setupFilters();
setupCompose(async (body) => api('/api/compose', body));
connect();
api('/api/info').then((info) => {
  state.info = info as unknown as InspectorInfo;
  const via = {
    emulator: 'compose → emulator → bridge',
    bridge: 'compose → bridge /message',
    none: 'compose unavailable',
  };
  byId('via').textContent =
    `${via[state.info.composeVia]}${state.info.tokenMasked ? ` · token ${state.info.tokenMasked}` : ''}`;
});
