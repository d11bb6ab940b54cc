import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateHosts, clientUrl } from './listen-address.ts';

test('client URLs', () => {
  assert.equal(clientUrl('127.0.0.1', 6443), 'https://127.0.0.1:6443');
  assert.equal(clientUrl('localhost', 1), 'https://localhost:1');
  assert.equal(clientUrl('0.0.0.0', 6443), 'https://127.0.0.1:6443');
  assert.equal(clientUrl('::', 6443), 'https://[::1]:6443');
  assert.equal(clientUrl('[::]', 6443), 'https://[::1]:6443');
  assert.equal(clientUrl('::1', 6443), 'https://[::1]:6443');
  assert.equal(clientUrl('[fd00::2]', 80), 'https://[fd00::2]:80');
});

test('certificate hosts', () => {
  assert.deepEqual(certificateHosts('127.0.0.1'), ['127.0.0.1']);
  assert.deepEqual(certificateHosts('[::1]'), ['::1']);
  const everywhere = certificateHosts('0.0.0.0');
  assert.ok(everywhere.includes('127.0.0.1'));
  assert.ok(!everywhere.includes('0.0.0.0'));
});
