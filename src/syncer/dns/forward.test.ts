import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { upstreamsFromResolvConf } from './forward.ts';

test('upstreams are the nameserver lines of resolv.conf', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'dns-')), 'resolv.conf');
  writeFileSync(file, '# comment\nsearch example.com\nnameserver 10.96.0.10\nnameserver fe80::1%eth0\nnameserver not-an-ip\noptions ndots:5\n  nameserver 1.1.1.1\n');
  assert.deepEqual(upstreamsFromResolvConf(file), [{ host: '10.96.0.10', port: 53 }, { host: 'fe80::1', port: 53 }, { host: '1.1.1.1', port: 53 }]);
  assert.deepEqual(upstreamsFromResolvConf(join(file, 'missing')), []);
});
