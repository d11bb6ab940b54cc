import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostError, hostErrorFromResponse } from './host/errors.ts';
import { reword, virtualPodError, type PodPair } from './streams-errors.ts';

const pod: PodPair = { namespace: 'shop', name: 'web', hostNamespace: 'tenants', hostName: 'web-x-shop-x-dev' };

function status(code: number, reason: string, message: string, details?: object): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message, details });
}

test('reword replaces the host pod and namespace with the virtual ones', () => {
  assert.equal(reword('error forwarding port 80 to pod tenants/web-x-shop-x-dev, uid 1', pod), 'error forwarding port 80 to pod shop/web, uid 1');
  assert.equal(reword('container nope is not valid for pod web-x-shop-x-dev', pod), 'container nope is not valid for pod web');
  assert.equal(reword('pods "web-x-shop-x-dev" is forbidden in namespace "tenants"', pod), 'pods "web" is forbidden in namespace "shop"');
  assert.equal(reword('pod web-x-shop-x-dev in namespace tenants, not in namespace tenants-b', pod), 'pod web in namespace shop, not in namespace tenants-b');
  const withUids = { ...pod, uid: 'v-1', hostUid: 'h-1' };
  assert.equal(reword('to pod tenants/web-x-shop-x-dev, uid h-1: refused', withUids), 'to pod shop/web, uid v-1: refused');
});

test('a host 400 keeps its code and reason, re-worded, with the host uid dropped', () => {
  const e = virtualPodError(hostErrorFromResponse(400, status(400, 'BadRequest', 'container nope is not valid for pod web-x-shop-x-dev',
    { name: 'web-x-shop-x-dev', kind: 'pods', uid: 'host-uid' })), pod);
  assert.deepEqual(e.toStatus(), {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 400, reason: 'BadRequest',
    message: 'container nope is not valid for pod web',
    details: { name: 'web', kind: 'pods' },
  });
});

test('a host 404 is the virtual pod not found; a text refusal keeps its code with a reason for it', () => {
  const nf = virtualPodError(hostErrorFromResponse(404, status(404, 'NotFound', 'pods "web-x-shop-x-dev" not found')), pod);
  assert.equal(nf.code, 404);
  assert.equal(nf.message, 'pods "web" not found');
  assert.equal(nf.details?.name, 'web');
  const text = virtualPodError(hostErrorFromResponse(403, 'unable to upgrade: unable to negotiate protocol: client supports [v9]'), pod);
  assert.equal(text.code, 403);
  assert.equal(text.reason, 'Forbidden');
  assert.match(text.message, /unable to negotiate protocol/);
});

test('the syncer\'s own credentials refused, or no answer: nothing of the host is told', () => {
  const denied = virtualPodError(hostErrorFromResponse(403, status(403, 'Forbidden',
    'pods "web-x-shop-x-dev" is forbidden: User "system:serviceaccount:kv:syncer" cannot create resource "pods/exec" in the namespace "tenants"')), pod);
  assert.equal(denied.code, 500);
  assert.doesNotMatch(denied.message, /syncer"|tenants|web-x/);
  assert.match(denied.message, /shop\/web/);
  const down = virtualPodError(new HostError(0, '', 'cannot reach the host: ECONNREFUSED: connect ECONNREFUSED 10.0.0.1:6443'), pod);
  assert.equal(down.code, 503);
  assert.equal(down.reason, 'ServiceUnavailable');
  assert.doesNotMatch(down.message, /10\.0\.0\.1/);
});

test('a throttled host keeps its Retry-After', () => {
  const e = virtualPodError(new HostError(429, 'TooManyRequests', 'slow down', undefined, 3), pod);
  assert.equal(e.code, 429);
  assert.equal(e.headers['Retry-After'], '3');
});

test('reword: the kubelet\'s own forms, its log directory NS_NAME_UID and its pod full name NAME_NS', () => {
  const withUids = { ...pod, uid: 'v-1', hostUid: 'h-1' };
  assert.equal(reword('lstat /var/log/pods/tenants_web-x-shop-x-dev_h-1/app/0.log: no such file', withUids),
    'lstat /var/log/pods/shop_web_v-1/app/0.log: no such file');
  assert.equal(reword('pod "web-x-shop-x-dev_tenants" not found', pod), 'pod "web_shop" not found');
  // Another namespace that starts like the host's is not the host's.
  assert.equal(reword('web-x-shop-x-dev_tenants-b and xtenants_web-x-shop-x-dev', pod), 'web_tenants-b and xtenants_web');
});

test('a log the kubelet refuses before its first byte (the API server\'s BadRequest with the kubelet\'s text) names the virtual pod', () => {
  const text = 'failed to try resolving symlinks in path "/var/log/pods/tenants_web-x-shop-x-dev_h-1/app/0.log": ' +
    'lstat /var/log/pods/tenants_web-x-shop-x-dev_h-1/app/0.log: no such file or directory';
  const e = virtualPodError(hostErrorFromResponse(400, status(400, 'BadRequest', text)), { ...pod, uid: 'v-1', hostUid: 'h-1' });
  assert.equal(e.code, 400);
  assert.equal(e.message, 'failed to try resolving symlinks in path "/var/log/pods/shop_web_v-1/app/0.log": ' +
    'lstat /var/log/pods/shop_web_v-1/app/0.log: no such file or directory');
  // A host that answers in plain text, not a Status.
  const plain = virtualPodError(hostErrorFromResponse(500, text), { ...pod, uid: 'v-1', hostUid: 'h-1' });
  assert.equal(plain.code, 500);
  assert.doesNotMatch(plain.message, /tenants|web-x|h-1/);
});
