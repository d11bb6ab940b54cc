import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, selectedContainers } from './annotations.ts';
import { formatCidr, nodeRange, parseCidr, PodAddresses } from './ipam.ts';
import { goDuration, normalizeImage } from './kubelet.ts';
import { Deadlines } from './timers.ts';

test('durations', () => {
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('2'), 2000);
  assert.equal(parseDuration('soon'), undefined);
  assert.equal(goDuration(10_000), '10s');
  assert.equal(goDuration(80_000), '1m20s');
  assert.equal(goDuration(300_000), '5m0s');
  assert.equal(goDuration(250), '250ms');
});

test('annotations naming containers', () => {
  const pod = (v: string) => ({ metadata: { annotations: { 'kubevisor.dev/fail': v } } });
  assert.equal(selectedContainers(pod('true'), 'kubevisor.dev/fail'), 'all');
  assert.equal(selectedContainers(pod(''), 'kubevisor.dev/fail'), 'all');
  assert.equal(selectedContainers(pod('false'), 'kubevisor.dev/fail'), undefined);
  assert.deepEqual(selectedContainers(pod('a, b'), 'kubevisor.dev/fail'), new Set(['a', 'b']));
});

test('node ranges and pod addresses', () => {
  const cluster = parseCidr('10.244.0.0/16');
  assert.equal(formatCidr(nodeRange(cluster, 0)), '10.244.0.0/24');
  assert.equal(formatCidr(nodeRange(cluster, 3)), '10.244.3.0/24');
  const ips = new PodAddresses(parseCidr('10.1.2.0/29'));
  const got = [ips.allocate(), ips.allocate(), ips.allocate(), ips.allocate(), ips.allocate()];
  assert.deepEqual(got, ['10.1.2.2', '10.1.2.3', '10.1.2.4', '10.1.2.5', '10.1.2.6']);
  assert.equal(ips.allocate(), undefined);
  ips.release('10.1.2.4');
  assert.equal(ips.allocate(), '10.1.2.4');
  assert.throws(() => parseCidr('fd00::/64'));
});

test('image references as the runtime reports them', () => {
  assert.equal(normalizeImage('nginx'), 'docker.io/library/nginx:latest');
  assert.equal(normalizeImage('nginx:1.27'), 'docker.io/library/nginx:1.27');
  assert.equal(normalizeImage('bitnami/redis:7'), 'docker.io/bitnami/redis:7');
  assert.equal(normalizeImage('registry.k8s.io/pause:3.10'), 'registry.k8s.io/pause:3.10');
  assert.equal(normalizeImage('localhost:5000/app'), 'localhost:5000/app:latest');
});

test('deadlines share one timer and fire in order', async () => {
  const fired: string[] = [];
  const d = new Deadlines((keys) => fired.push(...keys));
  const now = Date.now();
  d.schedule('b', now + 40);
  d.schedule('a', now + 10);
  d.schedule('c', now + 1000);
  d.cancel('c');
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(fired, ['a', 'b']);
  assert.equal(d.size, 0);
  d.stop();
});
