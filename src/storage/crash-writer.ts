// Child process of crash.test.ts: writes to a SqliteStore as fast as it can and
// prints "<key> <revision> <value>" for each write only after it was acknowledged.
// Every tenth write updates one shared key, so the log holds updates as well as creates.
import { writeSync } from 'node:fs';
import { SqliteStore } from './sqlite.ts';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: crash-writer.ts <database file>');
const store = new SqliteStore(path);
let counterRevision = 0;
// Bounded, so a parent that fails to kill it still ends.
for (let i = 0; i < 200_000; i++) {
  const shared = i % 10 === 9;
  const key = shared ? '/crash/shared' : `/crash/key-${i}`;
  const value = `value-${i}`;
  const res = shared && counterRevision > 0
    ? await store.update(key, value, counterRevision)
    : await store.create(key, value);
  if (!res.succeeded) throw new Error(`write ${i} to ${key} failed`);
  if (shared) counterRevision = res.revision;
  // Synchronous: an acknowledgement must reach the parent now, not when this
  // loop (which never yields to the event loop) lets an async pipe write run.
  writeSync(1, `${key} ${res.revision} ${value}\n`);
}
