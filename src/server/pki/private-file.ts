// Writing secrets: owner-only permissions, and never a half-written file.
import { randomBytes } from 'node:crypto';
import { constants, copyFileSync, linkSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Create `dir` (and parents) readable by the owner only, if absent. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/** Write `data` to `path` with mode 0600 via a temporary file renamed into place. */
export async function writePrivateFile(path: string, data: string, opts: { flush?: boolean } = {}): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data, { mode: 0o600, flush: opts.flush ?? true });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Write `data` as a new owner-only file at `path`, written beside and linked into place
 * (a crash leaves no half-written file); false, writing nothing, when `path` exists.
 * Synchronous: for the small files of a new cluster, far cheaper in CPU than a round
 * trip through the thread pool.
 */
export function placeNewFileSync(path: string, data: string | Uint8Array): boolean {
  const made = `${path}.new`;
  writeFileSync(made, data, { mode: 0o600 });
  try {
    try {
      linkSync(made, path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw e;
      // A filesystem without hard links: an exclusive copy (never over a file, though a
      // crash during it can leave a short one).
      copyFileSync(made, path, constants.COPYFILE_EXCL);
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(made);
  }
}
