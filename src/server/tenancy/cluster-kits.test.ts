import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeSqliteTemplate } from '../../storage/sqlite-template.ts';
import { SqliteStore } from '../../storage/sqlite.ts';
import { ensurePki } from '../pki/pki.ts';
import { hashToken } from '../pki/admin-token.ts';
import { ClusterKits } from './cluster-kits.ts';
import { ClusterPki } from './cluster-pki.ts';

const UID = (i: number) => `uid-mark-${String(i).padStart(27, '0')}`;
const TIME = 'time-mark-xxxxxxxxxx';

test('cluster kits: a new cluster directory with its credentials and database, made on the worker', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kubevisor-kits-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pki = await ensurePki(join(dir, 'pki'));
  const root = { certPem: pki.clientCACert, keyPem: pki.clientCAKey };
  const kits = new ClusterKits(root);
  t.after(() => kits.close());
  const rows = [0, 1].map((i) => ({ key: `/registry/x/${i}`, value: `{"uid":"${UID(i)}","t":"${TIME}"}`, createRevision: i + 1, modRevision: i + 1 }));
  const template = await makeSqliteTemplate(rows, 2, [UID(0), UID(1), TIME]);
  assert.ok(template);
  const id = kits.setTemplate(template);

  const clusters = join(dir, 'clusters');
  const kit = await kits.make(join(clusters, 'one'), 'one', id);
  assert.ok(kit, 'the directory is made (its parent too)');
  assert.ok(kit.db, 'with the database');
  // The credentials file: the CA the root signed, its key, the admin token's digest.
  const cred = readFileSync(join(clusters, 'one', 'credentials.pem'), 'utf8');
  assert.ok(cred.startsWith(kit.caCertPem) && cred.includes(kit.caKeyPem) && cred.endsWith(`${hashToken(kit.admin.token)}\n`));
  const ca = new X509Certificate(kit.caCertPem);
  assert.ok(ca.checkIssued(new X509Certificate(root.certPem)));
  assert.match(ca.subject, /CN=kubevisor-cluster-one-client-ca@/);
  const leaf = new X509Certificate(kit.admin.certChainPem);
  assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
  // The ClusterPki of the directory hands out the prepared admin credentials first, then new ones.
  const cp = ClusterPki.fromPrepared(join(clusters, 'one'), kit);
  assert.ok(cp.hasToken(kit.admin.token));
  assert.equal((await cp.issueAdmin()).token, kit.admin.token);
  const next = await cp.issueAdmin();
  assert.notEqual(next.token, kit.admin.token);
  assert.ok(new X509Certificate(next.certChainPem).checkIssued(ca));

  // The database: the rows with the kit's uids and time, and an empty WAL beside it.
  assert.ok(existsSync(join(clusters, 'one', 'state.db-wal')));
  const store = new SqliteStore(join(clusters, 'one', 'state.db'));
  const got = await store.range('/registry/');
  assert.deepEqual(got.kvs.map((kv) => kv.value), [0, 1].map((i) => `{"uid":"${kit.db!.uids[i]}","t":"${kit.db!.time}"}`));
  assert.equal(got.revision, 2);
  await store.close();

  // Each kit has uids of its own; an existing directory is left alone.
  const two = await kits.make(join(clusters, 'two'), 'two', id);
  assert.ok(two?.db);
  assert.notDeepEqual(two.db.uids, kit.db.uids);
  assert.equal(await kits.make(join(clusters, 'one'), 'one', id), undefined);
  // So is one made by someone else meanwhile.
  await mkdir(join(clusters, 'three'));
  assert.equal(await kits.make(join(clusters, 'three'), 'three', id), undefined);
  // Without a template (or with another one), no database.
  const four = await kits.make(join(clusters, 'four'), 'four', undefined);
  assert.ok(four && four.db === undefined && !existsSync(join(clusters, 'four', 'state.db')));
});
