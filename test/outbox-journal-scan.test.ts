/** The journal scan reads add headers in place (no copy per line) and still gets odd lines right. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { type AddHeader, scanJournal } from '../src/outbox/journal-read.js';
import { addLine } from '../src/outbox/state.js';

let dir = '';
afterEach(() => rm(dir, { recursive: true, force: true }));

it('reads escaped, non-ASCII and slow-path headers, and reports a glued line by its byte range', async () => {
  dir = await mkdtemp(join(tmpdir(), 'journal-scan-'));
  const item = (text: string) => JSON.stringify({ contactId: 'c', event: { type: 'message', text } });
  const lines = [
    addLine({ id: 'a-1', key: 'message:q"uo\\te:', at: 1767225600000, contactId: '+60 "x"' }, item('one')),
    addLine({ id: 'a-2', key: 'message:ünï:', at: 17, contactId: 'contäct' }, item('two "\\" three')),
    // Not as this version writes it (a fractional time, fields reordered): the JSON.parse path.
    '{"op":"add","key":"k3","id":"a-3","at":1.5,"c":"c3","item":{"contactId":"c3","event":{}}}',
    '{"op":"add","id":"a-4","key":"k4","at":4,"c":"c4","item":{"contactId":"c4","event":{}}}{"op":"done","id":"a-1"}',
    '{"op":"done","id":"a-2"}',
  ];
  const text = `${lines.join('\n')}\n`;
  await writeFile(join(dir, 'journal.ndjson'), text);
  const adds: AddHeader[] = [];
  const others: unknown[] = [];
  const result = scanJournal(dir, { add: (h) => adds.push(h), other: (r) => others.push(r) });
  expect(adds.map(({ id, key, at, contactId }) => ({ id, key, at, contactId }))).toEqual([
    { id: 'a-1', key: 'message:q"uo\\te:', at: 1767225600000, contactId: '+60 "x"' },
    { id: 'a-2', key: 'message:ünï:', at: 17, contactId: 'contäct' },
    { id: 'a-3', key: 'k3', at: 1.5, contactId: 'c3' },
  ]);
  // Offsets and lengths are the lines' own bytes.
  for (const add of adds) {
    const line = Buffer.from(text)
      .subarray(add.offset, add.offset + add.length)
      .toString();
    expect(JSON.parse(line).id).toBe(add.id);
  }
  const gluedAt = Buffer.byteLength(`${lines.slice(0, 3).join('\n')}\n`);
  expect(result.bad).toEqual([[gluedAt, gluedAt + Buffer.byteLength(lines[3]) + 1]]);
  expect(others).toEqual([{ op: 'done', id: 'a-2' }]);
});
