import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configMapStrategy } from './core-configmap.ts';
import { namespaceStrategy } from './core-namespace.ts';
import { secretStrategy } from './core-secret.ts';
import { serviceAccountStrategy } from './core-serviceaccount.ts';
import { clone, messages, runCreate, runUpdate } from './testing.ts';

test('Namespace: finalizer, phase, name label; DNS-label names', () => {
  const { obj, errors } = runCreate(namespaceStrategy, { metadata: { name: 'team-a' } });
  assert.deepEqual(errors, []);
  assert.deepEqual(obj.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(obj.status, { phase: 'Active' });
  assert.deepEqual(obj.metadata.labels, { 'kubernetes.io/metadata.name': 'team-a' });
  assert.deepEqual(messages(runCreate(namespaceStrategy, { metadata: { name: 'a.b' } }).errors), ['metadata.name: Invalid value: "a.b": must not contain dots']);
  assert.deepEqual(messages(runCreate(namespaceStrategy, { metadata: { name: 'a', namespace: 'x' } }).errors), ['metadata.namespace: Forbidden: not allowed on this type']);
  const f = runCreate(namespaceStrategy, { metadata: { name: 'a' }, spec: { finalizers: ['custom'] } });
  assert.deepEqual(messages(f.errors), ['spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified']);
});

test('Namespace update keeps finalizers, status and the name label', () => {
  const { obj: old } = runCreate(namespaceStrategy, { metadata: { name: 'team-a' } });
  const next = clone(old) as any;
  next.spec = { finalizers: [] };
  next.metadata.labels = { env: 'dev' };
  const r = runUpdate(namespaceStrategy, next, old);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.obj.spec, { finalizers: ['kubernetes'] });
  assert.deepEqual(r.obj.metadata.labels, { env: 'dev', 'kubernetes.io/metadata.name': 'team-a' });
});

test('ConfigMap keys, size, immutability', () => {
  assert.deepEqual(runCreate(configMapStrategy, { metadata: { name: 'cfg' }, data: { 'app.properties': 'a=b', KEY_1: 'v' } }, { namespace: 'd' }).errors, []);
  const bad = runCreate(configMapStrategy, { metadata: { name: 'cfg' }, data: { '..x': 'a', dup: 'b' }, binaryData: { dup: 'AA==' } }, { namespace: 'd' });
  assert.deepEqual(messages(bad.errors), [
    `data[..x]: Invalid value: "..x": must not start with '..'`,
    'data[dup]: Invalid value: "dup": duplicate of key present in binaryData',
  ]);
  const big = runCreate(configMapStrategy, { metadata: { name: 'cfg' }, data: { a: 'x'.repeat(1024 * 1024 + 1) } }, { namespace: 'd' });
  assert.deepEqual(messages(big.errors), [': Too long: may not be more than 1048576 bytes']);
  const { obj: old } = runCreate(configMapStrategy, { metadata: { name: 'cfg' }, data: { a: '1' }, immutable: true }, { namespace: 'd' });
  const next = clone(old) as any;
  next.data.a = '2';
  next.immutable = false;
  assert.deepEqual(messages(runUpdate(configMapStrategy, next, old).errors), [
    'immutable: Forbidden: field is immutable when `immutable` is set',
    'data: Forbidden: field is immutable when `immutable` is set',
  ]);
});

test('Secret: Opaque default, stringData folded into data, typed requirements', () => {
  const { obj, errors } = runCreate(secretStrategy, { metadata: { name: 's' }, stringData: { password: 'hunter2' } }, { namespace: 'd' });
  assert.deepEqual(errors, []);
  assert.equal(obj.type, 'Opaque');
  assert.deepEqual(obj.data, { password: 'aHVudGVyMg==' });
  assert.equal(obj.stringData, undefined);
  const tls = runCreate(secretStrategy, { metadata: { name: 's' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'AA==' } }, { namespace: 'd' });
  assert.deepEqual(messages(tls.errors), ['data[tls.key]: Required value']);
  const docker = runCreate(secretStrategy, { metadata: { name: 's' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from('xyz').toString('base64') } }, { namespace: 'd' });
  assert.deepEqual(messages(docker.errors), [`data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character 'x' looking for beginning of value`]);
  const b64 = runCreate(secretStrategy, { metadata: { name: 's' }, data: { a: 'not base64!' } }, { namespace: 'd' });
  assert.deepEqual(messages(b64.errors), ['data[a]: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 3']);
});

test('Secret update: type is immutable', () => {
  const { obj: old } = runCreate(secretStrategy, { metadata: { name: 's' }, data: { a: 'AA==' } }, { namespace: 'd' });
  const next = clone(old) as any;
  next.type = 'example.com/custom';
  assert.deepEqual(messages(runUpdate(secretStrategy, next, old).errors), ['type: Invalid value: "example.com/custom": field is immutable']);
});

test('ServiceAccount: subdomain names', () => {
  assert.deepEqual(runCreate(serviceAccountStrategy, { metadata: { name: 'build-bot' } }, { namespace: 'd' }).errors, []);
  assert.equal(runCreate(serviceAccountStrategy, { metadata: { name: 'Build' } }, { namespace: 'd' }).errors[0]?.field, 'metadata.name');
});
