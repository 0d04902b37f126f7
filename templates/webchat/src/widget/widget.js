/*
 * The respond.io web chat widget: add
 *   <script src="https://<your server>/webchat/widget.js" defer></script>
 * to any page. It talks only to the server it was loaded from. Message content is only ever
 * written with textContent (never as HTML), links and images only with http(s) URLs, and the
 * widget lives in a shadow root with its own constructed stylesheet (no inline styles, so it
 * works under a strict Content-Security-Policy).
 * Options (data attributes of the script tag): data-title, data-placeholder, data-open="true".
 */
(() => {
  const script = document.currentScript;
  if (!script || window.__respondioWebchat) return;
  window.__respondioWebchat = true;
  const base = new URL('./', script.src);
  const endpoint = (name) => new URL(name, base).href;
  const storageKey = `respondio-webchat:${base.href}`;
  const options = {
    title: script.dataset.title || 'Chat with us',
    placeholder: script.dataset.placeholder || 'Type a message…',
    open: script.dataset.open === 'true',
  };

  const css = `
    :host { all: initial; }
    .launcher { position: fixed; right: 20px; bottom: 20px; width: 56px; height: 56px; border-radius: 28px;
      border: 0; background: #1d4ed8; color: #fff; display: grid; place-items: center; cursor: pointer;
      box-shadow: 0 4px 14px rgba(0,0,0,.25); z-index: 2147483000; }
    .panel { position: fixed; right: 20px; bottom: 88px; width: 340px; max-width: calc(100vw - 40px); height: 460px;
      max-height: calc(100vh - 120px); display: none; flex-direction: column; background: #fff; color: #111;
      border-radius: 12px; box-shadow: 0 8px 30px rgba(0,0,0,.25); overflow: hidden; z-index: 2147483000;
      font: 14px/1.4 system-ui, sans-serif; }
    .panel.open { display: flex; }
    header { background: #1d4ed8; color: #fff; padding: 12px 14px; font-weight: 600; display: flex; justify-content: space-between; }
    header .state { font-weight: 400; font-size: 12px; opacity: .85; }
    .messages { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; background: #f3f4f6; }
    .msg { max-width: 80%; padding: 8px 10px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
    .msg.visitor { align-self: flex-end; background: #1d4ed8; color: #fff; border-bottom-right-radius: 4px; }
    .msg.business { align-self: flex-start; background: #fff; border-bottom-left-radius: 4px; }
    .msg img { display: block; max-width: 100%; border-radius: 8px; }
    .msg a { color: inherit; }
    .replies { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; }
    .replies button { border: 1px solid #1d4ed8; color: #1d4ed8; background: #fff; border-radius: 14px; padding: 4px 10px; cursor: pointer; }
    .replies button:disabled { opacity: .5; cursor: default; }
    form { display: flex; gap: 6px; padding: 8px; border-top: 1px solid #e5e7eb; }
    input { flex: 1; padding: 8px; border: 1px solid #d1d5db; border-radius: 8px; font: inherit; }
    form button { border: 0; background: #1d4ed8; color: #fff; border-radius: 8px; padding: 0 12px; font: inherit; cursor: pointer; }
    .error { color: #b91c1c; font-size: 12px; padding: 0 10px 6px; min-height: 1em; }`;

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const safeUrl = (value) => {
    try {
      const url = new URL(String(value));
      return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
    } catch {
      return undefined;
    }
  };

  const host = el('div');
  host.setAttribute('data-respondio-webchat', '');
  const root = host.attachShadow({ mode: 'open' });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  root.adoptedStyleSheets = [sheet];
  const launcher = el('button', 'launcher');
  // A speech bubble drawn with SVG (an emoji needs a font the visitor may not have).
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '26');
  svg.setAttribute('height', '26');
  svg.setAttribute('aria-hidden', 'true');
  const bubble = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  bubble.setAttribute('d', 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z');
  bubble.setAttribute('fill', 'currentColor');
  svg.append(bubble);
  launcher.append(svg);
  launcher.type = 'button';
  launcher.setAttribute('aria-label', options.title);
  const panel = el('section', 'panel');
  panel.setAttribute('aria-label', options.title);
  const header = el('header');
  header.append(el('span', '', options.title));
  const state = el('span', 'state', 'connecting…');
  header.append(state);
  const list = el('div', 'messages');
  list.setAttribute('role', 'log');
  const error = el('div', 'error');
  const form = el('form');
  const input = el('input');
  input.name = 'text';
  input.placeholder = options.placeholder;
  input.maxLength = 4000;
  input.autocomplete = 'off';
  const send = el('button', '', 'Send');
  send.type = 'submit';
  form.append(input, send);
  panel.append(header, list, error, form);
  root.append(panel, launcher);
  document.body.append(host);

  let token = localStorage.getItem(storageKey) || '';
  const rendered = new Map(); // mId -> { entry, node }
  const reported = new Map(); // mId -> 'delivered' | 'read'
  const rank = { sent: 1, delivered: 2, read: 3 };

  const post = async (name, body) => {
    const response = await fetch(endpoint(name), {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ ...body, token }),
      credentials: 'omit',
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data?.error?.message || `HTTP ${response.status}`);
    return data;
  };

  const report = (mId, status) => {
    const done = reported.get(mId);
    if (done && rank[done] >= rank[status]) return;
    reported.set(mId, status);
    post('receipts', { mId, status }).catch(() => reported.delete(mId));
  };

  const isOpen = () => panel.classList.contains('open');
  const visible = new Set();
  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        const mId = entry.target.dataset.mid;
        if (entry.isIntersecting) visible.add(mId);
        else visible.delete(mId);
      }
      markRead();
    },
    { root: list, threshold: 0.6 },
  );
  // Read = the bubble is on screen, in the open panel, in a tab the visitor is looking at.
  const markRead = () => {
    if (!isOpen() || document.visibilityState !== 'visible') return;
    for (const mId of visible) if (rendered.get(mId)?.entry.from === 'business') report(mId, 'read');
  };
  document.addEventListener('visibilitychange', markRead);

  const content = (node, entry) => {
    const message = entry.message || {};
    if (message.type === 'text') node.textContent = message.text;
    else if (message.type === 'attachment') {
      const url = safeUrl(message.attachment?.url);
      const label =
        message.attachment?.fileName || message.attachment?.description || message.attachment?.type || 'file';
      if (url && message.attachment.type === 'image') {
        const img = el('img');
        img.src = url;
        img.alt = message.attachment.description || message.attachment.fileName || 'image';
        node.append(img);
      } else if (url) {
        const link = el('a', '', label);
        link.href = url;
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
        node.append(link);
      } else node.textContent = label;
    } else if (message.type === 'location') {
      const link = el('a', '', message.address || `${message.latitude}, ${message.longitude}`);
      link.href = `https://www.openstreetmap.org/?mlat=${Number(message.latitude)}&mlon=${Number(message.longitude)}`;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      node.append(link);
    } else if (message.type === 'quick_reply') {
      node.append(el('div', '', message.title));
      const replies = el('div', 'replies');
      for (const reply of message.replies || []) {
        const button = el('button', '', reply);
        button.type = 'button';
        button.addEventListener('click', () => {
          for (const b of replies.querySelectorAll('button')) b.disabled = true;
          void say(reply);
        });
        replies.append(button);
      }
      node.append(replies);
    } else node.textContent = '(unsupported message)';
  };

  const show = (entry) => {
    if (entry.message?.type === 'custom_payload') {
      // For the page's own code: window.addEventListener('respondio:payload', (e) => e.detail)
      if (!rendered.has(entry.mId))
        window.dispatchEvent(new CustomEvent('respondio:payload', { detail: entry.message.payload }));
      rendered.set(entry.mId, { entry, node: undefined });
    } else if (!rendered.has(entry.mId)) {
      const node = el('div', `msg ${entry.from === 'business' ? 'business' : 'visitor'}`);
      node.dataset.mid = entry.mId;
      content(node, entry);
      list.append(node);
      list.scrollTop = list.scrollHeight;
      rendered.set(entry.mId, { entry, node });
      if (entry.from === 'business') observer.observe(node);
    }
    if (entry.from === 'business') {
      if (rank[entry.status || 'sent'] < rank.delivered) report(entry.mId, 'delivered');
      else reported.set(entry.mId, reported.get(entry.mId) || entry.status);
      if (entry.status === 'read') reported.set(entry.mId, 'read');
    }
  };

  const say = async (text) => {
    error.textContent = '';
    try {
      const { mId, at } = await post('messages', { text });
      show({ mId, at, from: 'visitor', message: { type: 'text', text } });
      return true;
    } catch (caught) {
      error.textContent = caught.message;
      return false;
    }
  };

  const parseEvents = (buffer, onEvent) => {
    let rest = buffer;
    for (let end = rest.indexOf('\n\n'); end !== -1; end = rest.indexOf('\n\n')) {
      const block = rest.slice(0, end);
      rest = rest.slice(end + 2);
      let event = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data) onEvent(event, JSON.parse(data));
    }
    return rest;
  };

  // The stream is a POST read with fetch (the token stays out of URLs and logs), reconnected with backoff.
  let delay = 1000;
  const connect = async () => {
    try {
      if (!token) {
        token = (await post('session', {})).token;
        localStorage.setItem(storageKey, token);
      }
      const response = await fetch(endpoint('stream'), {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        body: JSON.stringify({ token }),
        credentials: 'omit',
      });
      if (response.status === 401) {
        token = '';
        localStorage.removeItem(storageKey);
        throw new Error('session expired');
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer = parseEvents(buffer + value, (event, data) => {
          if (event === 'message') show(data);
          if (event === 'ready') {
            state.textContent = 'online';
            host.dataset.ready = 'true';
            delay = 1000;
            markRead();
          }
        });
      }
    } catch {
      // Reconnects below.
    }
    state.textContent = 'reconnecting…';
    host.dataset.ready = 'false';
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 30_000);
  };

  const toggle = (open) => {
    panel.classList.toggle('open', open);
    if (open) {
      input.focus();
      markRead();
    }
  };
  launcher.addEventListener('click', () => toggle(!isOpen()));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    if (!(await say(text))) input.value = text;
  });
  if (options.open || sessionStorage.getItem(`${storageKey}:open`) === '1') toggle(true);
  window.addEventListener('pagehide', () => sessionStorage.setItem(`${storageKey}:open`, isOpen() ? '1' : '0'));
  void connect();
})();
