/**
 * A real full disk for fault tests: a small tmpfs mounted on a fresh folder (needs the right to
 * mount, as root in CI; tests skip with `canMountTmpfs` false where it is not permitted).
 */
import { execFileSync } from 'node:child_process';
import { rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  path: string;
  unmount(): void;
}

let mounts = 0;

/** Mounts a tmpfs of `size` (e.g. '256k'); undefined when this process may not mount. */
export function mountTmpfs(size = '256k'): Tmpfs | undefined {
  mounts += 1;
  const path = join(tmpdir(), `tmpfs-${process.pid}-${Date.now()}-${mounts}`);
  try {
    execFileSync('mkdir', ['-p', path]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path], { stdio: 'ignore' });
  } catch {
    rmSync(path, { recursive: true, force: true });
    return undefined;
  }
  return {
    path,
    unmount: () => {
      execFileSync('umount', [path], { stdio: 'ignore' });
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** True where this process may mount a tmpfs. */
export const canMountTmpfs = (() => {
  const probe = mountTmpfs();
  probe?.unmount();
  return probe !== undefined;
})();

/** Fills the file system of `folder` up to `leave` free bytes; returns the filler's path. */
export function fillDisk(folder: string, leave: number): string {
  const filler = join(folder, 'filler');
  const { bavail, bsize } = statfsSync(folder);
  writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - leave)));
  return filler;
}
