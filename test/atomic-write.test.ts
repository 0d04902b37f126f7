import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { tempPathFor, writeFileAtomic } from '../src/lib/atomic-write.js';
import { writePrivateFile } from '../src/secrets.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atomic-write-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('concurrent writes of one private file all succeed, leave one whole version and no temp file', async () => {
  const file = join(dir, 'state', 'config.json');
  // Large enough that the writes overlap; each version is recognisable as a whole.
  const versions = Array.from({ length: 25 }, (_, i) => JSON.stringify({ version: i, pad: String(i).repeat(200_000) }));
  const results = await Promise.allSettled(versions.map((content) => writePrivateFile(file, content)));
  expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  expect(versions).toContain(await readFile(file, 'utf8'));
  expect((await stat(file)).mode & 0o777).toBe(0o600);
  expect((await stat(join(dir, 'state'))).mode & 0o777).toBe(0o700);
  expect(await readdir(join(dir, 'state'))).toEqual(['config.json']);
});

it('a failed write leaves the old file and no temp file behind', async () => {
  const target = join(dir, 'history.ndjson');
  await mkdir(target); // a folder where the file should be: the rename fails
  await expect(writeFileAtomic(target, 'new')).rejects.toThrow();
  expect(await readdir(dir)).toEqual(['history.ndjson']);
});

it('temp names are unique per write', () => {
  const names = new Set(Array.from({ length: 100 }, () => tempPathFor('/x/config.json')));
  expect(names.size).toBe(100);
  for (const name of names)
    expect(name).toMatch(new RegExp(`^/x/config\\.json\\.${process.pid}\\.[0-9a-f]{12}\\.tmp$`));
});
