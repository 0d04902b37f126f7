/** The adapter reloader: an edit applies on the next request; a broken edit keeps the last good adapter. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type AdapterReloader, type ReloadEvent, startAdapterReloader } from '../src/dev/adapter-reloader.js';
import { createDevProject } from './support/dev-project.js';

let reloader: AdapterReloader | undefined;
afterEach(() => reloader?.close());

describe('adapter reloader', () => {
  it('serves the edited adapter on the first call after the edit', async () => {
    const project = await createDevProject();
    const events: ReloadEvent[] = [];
    reloader = await startAdapterReloader({ adapterPath: project.adapterPath, onReload: (e) => events.push(e) });
    expect((await reloader.get()).name).toBe('generic-test-v1');
    expect(events).toEqual([]);

    await project.writeAdapter('v2');
    // No wait: the very next call must see the edit.
    expect((await reloader.get()).name).toBe('generic-test-v2');
    expect(events).toMatchObject([{ ok: true, name: 'generic-test-v2' }]);
    // Unchanged files: no reload.
    await reloader.get();
    expect(events).toHaveLength(1);
  });

  it('reloads when a module the adapter imports changes', async () => {
    const project = await createDevProject();
    await writeFile(join(project.root, 'src', 'name.ts'), "export const NAME = 'helper-a';\n");
    await writeFile(
      project.adapterPath,
      "import { defineAdapter } from 'custom-channel';\nimport { NAME } from './name';\nexport default defineAdapter({ name: NAME, capabilities: { messageTypes: ['text'], statuses: ['sent'] }, send: async () => ({ mId: 'x' }), webhooks: [] });\n",
    );
    reloader = await startAdapterReloader({ adapterPath: project.adapterPath });
    expect(reloader.current.name).toBe('helper-a');
    await writeFile(join(project.root, 'src', 'name.ts'), "export const NAME = 'helper-b';\n");
    const until = Date.now() + 5_000;
    while ((await reloader.get()).name !== 'helper-b' && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    expect(reloader.current.name).toBe('helper-b');
  });

  it('keeps the last good adapter when an edit does not load', async () => {
    const project = await createDevProject();
    const events: ReloadEvent[] = [];
    reloader = await startAdapterReloader({ adapterPath: project.adapterPath, onReload: (e) => events.push(e) });
    await writeFile(project.adapterPath, 'export default defineAdapter({ this is not TypeScript');
    expect((await reloader.get()).name).toBe('generic-test-v1');
    expect(events[0]).toMatchObject({ ok: false, error: expect.stringMatching(/cannot load adapter/) });
    await project.writeAdapter('v3');
    expect((await reloader.get()).name).toBe('generic-test-v3');
  });
});
