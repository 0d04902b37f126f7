/** The compose box: builds a respond.io message (text, attachment, quick reply, custom payload). */
import type { SendOutcome } from '../types.js';
import { byId, h } from './dom.js';

const ATTACHMENT_TYPES = ['image', 'video', 'audio', 'file'];

function field(name: string, placeholder: string, attrs: Record<string, string> = {}): HTMLInputElement {
  return h('input', { name, placeholder, 'aria-label': name, ...attrs });
}

/** Swaps the inputs under the type selector. */
export function renderComposeFields(type: string): Node[] {
  switch (type) {
    case 'attachment':
      return [
        h(
          'select',
          { name: 'attachmentType', 'aria-label': 'attachment type' },
          ATTACHMENT_TYPES.map((t) => h('option', null, t)),
        ),
        field('url', 'https://example.com/invoice.pdf', { required: 'true', type: 'url' }),
        field('fileName', 'file name (optional)'),
      ];
    case 'quick_reply':
      return [
        field('title', 'Question, e.g. How was your delivery?', { required: 'true' }),
        field('replies', 'Replies, comma separated: Great, OK, Bad', { required: 'true' }),
      ];
    case 'custom_payload':
      return [
        h('textarea', {
          name: 'payload',
          rows: 2,
          'aria-label': 'payload',
          placeholder: '{ "template": "order_update", "orderId": 1042 }',
        }),
      ];
    default:
      return [
        h('textarea', {
          name: 'text',
          rows: 1,
          'aria-label': 'text',
          placeholder: 'Message text (as a respond.io user would send it)',
        }),
      ];
  }
}

/** The respond.io message for the form's current values; throws with a readable reason. */
export function readMessage(form: HTMLFormElement): Record<string, unknown> {
  const data = new FormData(form);
  const value = (name: string) => String(data.get(name) ?? '').trim();
  switch (value('type')) {
    case 'attachment': {
      const attachment: Record<string, string> = { type: value('attachmentType'), url: value('url') };
      if (value('fileName')) attachment.fileName = value('fileName');
      return { type: 'attachment', attachment };
    }
    case 'quick_reply':
      return {
        type: 'quick_reply',
        title: value('title'),
        replies: value('replies')
          .split(',')
          .map((r) => r.trim())
          .filter(Boolean),
      };
    case 'custom_payload': {
      try {
        return { type: 'custom_payload', payload: JSON.parse(value('payload') || '{}') };
      } catch {
        throw new Error('payload: not valid JSON');
      }
    }
    default:
      return { type: 'text', text: value('text') };
  }
}

/** Wires the compose form; `send` posts to the inspector's API. */
export function setupCompose(send: (body: unknown) => Promise<SendOutcome>): void {
  const form = byId<HTMLFormElement>('compose');
  const type = byId<HTMLSelectElement>('c-type');
  const fields = byId('c-fields');
  const result = byId('c-result');
  type.addEventListener('change', () => fields.replaceChildren(...renderComposeFields(type.value)));
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = byId<HTMLButtonElement>('c-send');
    result.className = 'result';
    try {
      const message = readMessage(form);
      button.disabled = true;
      result.textContent = 'sending…';
      const outcome = await send({ contactId: byId<HTMLInputElement>('c-contact').value.trim(), message });
      result.className = `result ${outcome.ok ? 'ok' : 'bad'}`;
      result.textContent = outcome.ok
        ? `sent · ${outcome.latencyMs} ms`
        : `refused: ${outcome.error ?? JSON.stringify(outcome.body ?? outcome.status)}`;
      if (outcome.ok) for (const t of form.querySelectorAll<HTMLTextAreaElement>('textarea[name=text]')) t.value = '';
    } catch (error) {
      result.className = 'result bad';
      result.textContent = (error as Error).message;
    } finally {
      button.disabled = false;
    }
  });
}
