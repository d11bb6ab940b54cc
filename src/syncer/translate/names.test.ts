import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { hostClusterName, hostName, hostTokenSecretName, labelValue, safeConcatName, virtualNameOf } from './names.ts';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

test('short names join with -x-', () => {
  assert.equal(hostName('nginx-7d9f8-abcde', 'default', 'my-vc'), 'nginx-7d9f8-abcde-x-default-x-my-vc');
  assert.equal(hostClusterName('high', 'tenants', 'my-vc'), 'kubevisor-high-x-tenants-x-my-vc');
});

test('a name of exactly 63 characters is kept', () => {
  const name = 'a'.repeat(63 - '-x-ns-x-vc'.length);
  assert.equal(hostName(name, 'ns', 'vc').length, 63);
  assert.equal(hostName(name, 'ns', 'vc'), `${name}-x-ns-x-vc`);
});

test('long names are cut to 52 characters plus a hash of the full name', () => {
  const pod = 'frontend-deployment-with-a-long-name-5f7b8c9d4-xk2lp';
  const full = `${pod}-x-production-apps-x-team-a`;
  const got = hostName(pod, 'production-apps', 'team-a');
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 10);
  assert.equal(got, `${full.slice(0, 52)}-${hash}`);
  assert.equal(got.length, 63);
  assert.match(got, dns1123Label);
});

test('the cut never leaves a - or . before the hash suffix', () => {
  // Character 52 of the joined name is a dash.
  const name = `${'b'.repeat(51)}-cdefghijklmnop`;
  const got = hostName(name, 'ns', 'vc');
  assert.match(got, dns1123Label);
  assert.ok(!got.includes('--'), got);
  assert.equal(got, `${'b'.repeat(51)}-${createHash('sha256').update(`${name}-x-ns-x-vc`).digest('hex').slice(0, 10)}`);
  const dotted = hostName(`${'c'.repeat(51)}.d${'e'.repeat(20)}`, 'ns', 'vc');
  assert.ok(!/[-.]-/.test(dotted), dotted);
});

test('different long names do not collide; the same name maps the same way', () => {
  const a = hostName(`${'x'.repeat(60)}-1`, 'ns', 'vc');
  const b = hostName(`${'x'.repeat(60)}-2`, 'ns', 'vc');
  assert.notEqual(a, b);
  assert.equal(a, hostName(`${'x'.repeat(60)}-1`, 'ns', 'vc'));
  assert.equal(safeConcatName('a', 'b'), 'a-b');
});

test('label values: kept when valid, hashed when too long', () => {
  assert.equal(labelValue('team-a'), 'team-a');
  const long = `cluster-${'z'.repeat(70)}`;
  const v = labelValue(long);
  assert.ok(v.length <= 63);
  assert.match(v, /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/);
  assert.notEqual(labelValue(`${long}1`), v);
});

test('reverse lookup reads the virtual name from host annotations', () => {
  assert.deepEqual(virtualNameOf({ annotations: { 'kubevisor.dev/object-name': 'web', 'kubevisor.dev/object-namespace': 'shop' } }),
    { name: 'web', namespace: 'shop' });
  assert.deepEqual(virtualNameOf({ annotations: { 'kubevisor.dev/object-name': 'high' } }), { name: 'high' });
  assert.equal(virtualNameOf({ name: 'web-x-shop-x-vc' }), undefined);
});

test('token secret names differ from the pod host name', () => {
  assert.equal(hostTokenSecretName('web', 'shop', 'vc'), 'web-x-shop-x-vc-token');
});
