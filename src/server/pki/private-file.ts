// Writing secrets: owner-only permissions, and never a half-written file.
import { randomBytes } from 'node:crypto';
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
