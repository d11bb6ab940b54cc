// Child process of crash.test.ts: writes to a SqliteStore as fast as it can and
// prints "<key> <revision> <value>" for each write only after it was acknowledged.
// Every tenth write updates one shared key, so the log holds updates as well as creates.
import { SqliteStore } from './sqlite.ts';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: crash-writer.ts <database file>');
const store = new SqliteStore(path);
let counterRevision = 0;
for (let i = 0; ; i++) {
  const shared = i % 10 === 9;
  const key = shared ? '/crash/shared' : `/crash/key-${i}`;
  const value = `value-${i}`;
  const res = shared && counterRevision > 0
    ? await store.update(key, value, counterRevision)
    : await store.create(key, value);
  if (!res.succeeded) throw new Error(`write ${i} to ${key} failed`);
  if (shared) counterRevision = res.revision;
  process.stdout.write(`${key} ${res.revision} ${value}\n`);
}
