// Reading and rewriting kubeconfig files as kubectl does: through symbolic
// links, and under kubectl's `<file>.lock` while a file is rewritten.
import { constants } from 'node:fs';
import { open, readFile, realpath, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** The file's text, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The file a path names, following symbolic links, so a linked kubeconfig stays linked. */
export async function resolveTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw err;
  }
}

/** Hold `<path>.lock` like kubectl does while it rewrites a kubeconfig. */
export async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + 3000;
  for (;;) {
    try {
      const handle = await open(lock, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (Date.now() > deadline) {
        throw new Error(`kubeconfig ${path} is locked by another program; if none is running, remove ${lock}`);
      }
      await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => {});
  }
}
