import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../flags.ts';
import { parseServeArgs, parseUpArgs } from './up.ts';

test('serve --config: settings from a YAML file, flags win over it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubevisor-serve-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'serve.yaml');
  writeFileSync(file, 'port: 7443\nhost: 0.0.0.0\ndataDir: /var/lib/kubevisor\nstorage: etcd\netcdEndpoints:\n  - http://10.0.0.1:2379\n  - http://10.0.0.2:2379\n');
  const o = parseServeArgs(['--config', file, '--port', '0']);
  assert.notEqual(o, 'help');
  if (o === 'help') return;
  assert.equal(o.port, 0);
  assert.equal(o.host, '0.0.0.0');
  assert.equal(o.dataDir, '/var/lib/kubevisor');
  assert.equal(o.storage, 'etcd');
  assert.deepEqual(o.etcdEndpoints, ['http://10.0.0.1:2379', 'http://10.0.0.2:2379']);
  assert.equal(o.mode, 'serve');
});

test('serve --config: unknown settings, bad values and missing files are usage errors', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubevisor-serve-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'prot: 1\n');
  assert.throws(() => parseServeArgs(['--config', bad]), (e: unknown) => e instanceof UsageError && /unknown setting "prot"/.test(e.message));
  writeFileSync(bad, 'port: 99999\n');
  assert.throws(() => parseServeArgs(['--config', bad]), (e: unknown) => e instanceof UsageError && /port/.test(e.message));
  assert.throws(() => parseServeArgs(['--config', join(dir, 'missing.yaml')]), (e: unknown) => e instanceof UsageError && /ENOENT/.test(e.message));
  // serve has no cluster of its own; up has no config file.
  assert.throws(() => parseServeArgs(['--nodes', '3']), UsageError);
  assert.throws(() => parseUpArgs(['--config', bad]), UsageError);
});

test('serve: where synced pods reach the server and its DNS', () => {
  const o = parseServeArgs(['--pod-api-address', '10.96.0.10:443', '--pod-dns-address', '10.96.0.10', '--dns-listen', '0.0.0.0:5353']);
  assert.notEqual(o, 'help');
  if (o === 'help') return;
  assert.deepEqual(o.podApiAddress, { host: '10.96.0.10', port: 443 });
  assert.equal(o.podDnsAddress, '10.96.0.10');
  assert.deepEqual(o.dnsListen, { host: '0.0.0.0', port: 5353 });
  assert.throws(() => parseServeArgs(['--pod-api-address', 'nohost']), (e: unknown) => e instanceof UsageError && /must be HOST:PORT/.test(e.message));
  assert.throws(() => parseServeArgs(['--pod-dns-address', 'dns.example']), (e: unknown) => e instanceof UsageError && /IP address/.test(e.message));
  assert.throws(() => parseUpArgs(['--dns-listen', '0.0.0.0:53']), UsageError);
});
