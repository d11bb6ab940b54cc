import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashToken } from './admin-token.ts';
import { ADMIN_GROUP, ADMIN_USER, ensurePki } from './pki.ts';

function tempDataDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubevisor-pki-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('first start creates every item, owner-only, with the expected certificates', async (t) => {
  const dataDir = tempDataDir(t);
  const pki = await ensurePki(dataDir);
  assert.deepEqual([...pki.generated].sort(), ['admin', 'admin-token', 'ca', 'client-ca', 'serving']);

  for (const name of ['ca.key', 'ca.crt', 'apiserver.key', 'apiserver.crt', 'client-ca.key', 'client-ca.crt', 'admin.key', 'admin.crt', 'admin-token.sha256']) {
    assert.equal(statSync(join(pki.dir, name)).mode & 0o777, 0o600, name);
  }
  assert.equal(statSync(pki.dir).mode & 0o777, 0o700);

  const ca = new X509Certificate(pki.caCert);
  const serving = new X509Certificate(pki.servingCert);
  const clientCA = new X509Certificate(pki.clientCACert);
  const admin = new X509Certificate(pki.adminCert);
  assert.ok(ca.ca && clientCA.ca);
  assert.ok(!serving.ca && !admin.ca);
  assert.ok(serving.verify(ca.publicKey));
  assert.ok(!serving.verify(clientCA.publicKey));
  assert.ok(admin.verify(clientCA.publicKey));
  assert.equal(serving.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(serving.checkIP('::1'), '::1');
  assert.equal(serving.checkHost('localhost'), 'localhost');
  assert.deepEqual(serving.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.deepEqual(admin.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.equal(admin.subject, `O=${ADMIN_GROUP}\nCN=${ADMIN_USER}`);
  assert.ok(serving.validToDate.getTime() > Date.now() + 300 * 24 * 3600 * 1000);

  // The token exists only in memory; the disk holds its digest.
  assert.ok(pki.adminToken && pki.adminToken.length >= 40);
  assert.deepEqual(pki.adminTokenHashes, [hashToken(pki.adminToken)]);
  const onDisk = readFileSync(join(pki.dir, 'admin-token.sha256'), 'utf8');
  assert.equal(onDisk.trim(), hashToken(pki.adminToken));
  assert.ok(!onDisk.includes(pki.adminToken));
});

test('a restart loads everything and generates nothing', async (t) => {
  const dataDir = tempDataDir(t);
  const first = await ensurePki(dataDir);
  const second = await ensurePki(dataDir);
  assert.deepEqual(second.generated, []);
  assert.equal(second.adminToken, undefined);
  assert.deepEqual(second.adminTokenHashes, first.adminTokenHashes);
  assert.equal(second.caCert, first.caCert);
  assert.equal(second.servingCert, first.servingCert);
  assert.equal(second.servingKey, first.servingKey);
  assert.equal(second.clientCACert, first.clientCACert);
  assert.equal(second.adminCert, first.adminCert);
  assert.equal(second.adminKey, first.adminKey);
});

test('only what is missing is remade, and what depends on it', async (t) => {
  const dataDir = tempDataDir(t);
  const first = await ensurePki(dataDir);

  rmSync(join(first.dir, 'admin.crt'));
  const afterAdmin = await ensurePki(dataDir);
  assert.deepEqual(afterAdmin.generated, ['admin']);
  assert.equal(afterAdmin.clientCACert, first.clientCACert);
  assert.notEqual(afterAdmin.adminCert, first.adminCert);

  rmSync(join(first.dir, 'ca.key'));
  const afterCA = await ensurePki(dataDir);
  assert.deepEqual(afterCA.generated, ['ca', 'serving']);
  assert.notEqual(afterCA.caCert, first.caCert);
  assert.equal(afterCA.clientCACert, first.clientCACert);
  assert.ok(new X509Certificate(afterCA.servingCert).verify(new X509Certificate(afterCA.caCert).publicKey));

  rmSync(join(first.dir, 'admin-token.sha256'));
  const afterToken = await ensurePki(dataDir);
  assert.deepEqual(afterToken.generated, ['admin-token']);
  assert.ok(afterToken.adminToken);
  assert.notDeepEqual(afterToken.adminTokenHashes, first.adminTokenHashes);
});

test('a corrupt or mismatched pair is remade', async (t) => {
  const dataDir = tempDataDir(t);
  const first = await ensurePki(dataDir);
  writeFileSync(join(first.dir, 'apiserver.crt'), 'not a certificate');
  assert.deepEqual((await ensurePki(dataDir)).generated, ['serving']);
  // The admin key now belongs to another certificate.
  writeFileSync(join(first.dir, 'admin.key'), readFileSync(join(first.dir, 'apiserver.key')));
  assert.deepEqual((await ensurePki(dataDir)).generated, ['admin']);
});

test('an expired certificate is remade', async (t) => {
  const dataDir = tempDataDir(t);
  const first = await ensurePki(dataDir);
  const realNow = Date.now;
  t.after(() => { Date.now = realNow; });
  // Two years on, the leaves have expired but the CAs have not.
  Date.now = () => realNow() + 2 * 365 * 24 * 3600 * 1000;
  const later = await ensurePki(dataDir);
  assert.deepEqual([...later.generated].sort(), ['admin', 'serving']);
  assert.equal(later.caCert, first.caCert);
});

test('extra hosts go into the serving certificate; a superset is kept', async (t) => {
  const dataDir = tempDataDir(t);
  const pki = await ensurePki(dataDir, { hosts: ['kubevisor.example', '10.1.2.3', '[fd00::5]', '0.0.0.0'] });
  const serving = new X509Certificate(pki.servingCert);
  assert.equal(serving.checkHost('kubevisor.example'), 'kubevisor.example');
  assert.equal(serving.checkIP('10.1.2.3'), '10.1.2.3');
  assert.equal(serving.checkIP('fd00::5'), 'fd00::5');
  assert.equal(serving.checkIP('0.0.0.0'), undefined);
  assert.deepEqual((await ensurePki(dataDir)).generated, []);
  assert.deepEqual((await ensurePki(dataDir, { hosts: ['other.example'] })).generated, ['serving']);
});

// Start-up time goals are measured by `npm run bench`; here only what a restart does.
test('a restart loads everything and generates nothing', async (t) => {
  const dataDir = tempDataDir(t);
  let start = performance.now();
  const first = await ensurePki(dataDir);
  const firstMs = performance.now() - start;
  start = performance.now();
  const again = await ensurePki(dataDir);
  t.diagnostic(`ensurePki first ${firstMs.toFixed(1)} ms, restart ${(performance.now() - start).toFixed(1)} ms`);
  assert.deepEqual(again.generated, []);
  assert.equal(again.caCert, first.caCert);
  assert.equal(again.servingCert, first.servingCert);
  assert.equal(again.adminCert, first.adminCert);
});
