import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { kubernetesEnv, serviceLinkEnv } from './pod-env.ts';

const redis: KubeObject = {
  metadata: { name: 'redis-master', namespace: 'shop' },
  spec: { clusterIP: '10.0.0.11', ports: [{ name: 'redis', port: 6379, protocol: 'TCP' }, { name: 'metrics-udp', port: 9121, protocol: 'UDP' }] },
};

test('service-link variables have upstream kubelet\'s names, values and order', () => {
  assert.deepEqual(serviceLinkEnv([redis], 'shop').map((e) => `${e.name}=${e.value}`), [
    'REDIS_MASTER_SERVICE_HOST=10.0.0.11',
    'REDIS_MASTER_SERVICE_PORT=6379',
    'REDIS_MASTER_SERVICE_PORT_REDIS=6379',
    'REDIS_MASTER_SERVICE_PORT_METRICS_UDP=9121',
    'REDIS_MASTER_PORT=tcp://10.0.0.11:6379',
    'REDIS_MASTER_PORT_6379_TCP=tcp://10.0.0.11:6379',
    'REDIS_MASTER_PORT_6379_TCP_PROTO=tcp',
    'REDIS_MASTER_PORT_6379_TCP_PORT=6379',
    'REDIS_MASTER_PORT_6379_TCP_ADDR=10.0.0.11',
    'REDIS_MASTER_PORT_9121_UDP=udp://10.0.0.11:9121',
    'REDIS_MASTER_PORT_9121_UDP_PROTO=udp',
    'REDIS_MASTER_PORT_9121_UDP_PORT=9121',
    'REDIS_MASTER_PORT_9121_UDP_ADDR=10.0.0.11',
  ]);
});

test('only services of the pod\'s namespace with a cluster IP, sorted by name', () => {
  const svcs: KubeObject[] = [
    { metadata: { name: 'b', namespace: 'shop' }, spec: { clusterIP: '10.0.0.2', ports: [{ port: 80 }] } },
    { metadata: { name: 'a', namespace: 'shop' }, spec: { clusterIP: '10.0.0.1', ports: [{ port: 80 }] } },
    { metadata: { name: 'ext', namespace: 'shop' }, spec: { type: 'ExternalName', externalName: 'example.com' } },
    { metadata: { name: 'none', namespace: 'shop' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } },
    { metadata: { name: 'c', namespace: 'blog' }, spec: { clusterIP: '10.0.0.3', ports: [{ port: 80 }] } },
    { metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '10.0.0.1', ports: [{ name: 'https', port: 443 }] } },
  ];
  const hosts = serviceLinkEnv(svcs, 'shop').filter((e) => e.name.endsWith('_SERVICE_HOST')).map((e) => e.name);
  assert.deepEqual(hosts, ['A_SERVICE_HOST', 'B_SERVICE_HOST']);
  assert.deepEqual(serviceLinkEnv(svcs, 'default'), []);
});

test('IPv6 cluster IPs are bracketed in URLs', () => {
  const v6: KubeObject = { metadata: { name: 'v6', namespace: 'shop' }, spec: { clusterIP: 'fd00::10', ports: [{ port: 80 }] } };
  const env = new Map(serviceLinkEnv([v6], 'shop').map((e) => [e.name, e.value]));
  assert.equal(env.get('V6_PORT'), 'tcp://[fd00::10]:80');
  assert.equal(env.get('V6_PORT_80_TCP_ADDR'), 'fd00::10');
});

test('the kubernetes variables point at the kubevisor server', () => {
  assert.deepEqual(kubernetesEnv({ host: '10.96.0.10', port: 6443 }).map((e) => `${e.name}=${e.value}`), [
    'KUBERNETES_SERVICE_HOST=10.96.0.10',
    'KUBERNETES_SERVICE_PORT=6443',
    'KUBERNETES_SERVICE_PORT_HTTPS=6443',
    'KUBERNETES_PORT=tcp://10.96.0.10:6443',
    'KUBERNETES_PORT_6443_TCP=tcp://10.96.0.10:6443',
    'KUBERNETES_PORT_6443_TCP_PROTO=tcp',
    'KUBERNETES_PORT_6443_TCP_PORT=6443',
    'KUBERNETES_PORT_6443_TCP_ADDR=10.96.0.10',
  ]);
});

test('a fieldRef to a reserved label key reads the renamed host label', async () => {
  const { toHostContainerEnv } = await import('./pod-env.ts');
  const { hostLabelKey } = await import('./labels.ts');
  const c = toHostContainerEnv(
    { name: 'c', env: [{ name: 'ROLE', valueFrom: { fieldRef: { fieldPath: "metadata.labels['kubevisor.dev/role']" } } }] },
    [], (n) => `${n}-host`, { name: 'p', namespace: 'shop', uid: 'u', serviceAccountName: 'default' },
  );
  assert.equal(c.env![0].valueFrom!.fieldRef!.fieldPath, `metadata.labels['${hostLabelKey('kubevisor.dev/role')}']`);
});

test('a container\'s envFrom starts with the injected sources; its env is only its own', async () => {
  const { toHostContainerEnv } = await import('./pod-env.ts');
  const injected = [{ configMapRef: { name: 'kubernetes-x-vc.env' } }];
  const fields = { name: 'p', namespace: 'shop', uid: 'u', serviceAccountName: 'default' };
  const c = toHostContainerEnv(
    { name: 'c', env: [{ name: 'URL', value: 'http://$(KUBERNETES_SERVICE_HOST)' }], envFrom: [{ prefix: 'X_', configMapRef: { name: 'own' } }] },
    injected, (n) => `${n}-host`, fields,
  );
  assert.deepEqual(c.envFrom, [{ configMapRef: { name: 'kubernetes-x-vc.env' } }, { prefix: 'X_', configMapRef: { name: 'own-host' } }]);
  assert.deepEqual(c.env, [{ name: 'URL', value: 'http://$(KUBERNETES_SERVICE_HOST)' }]);
  assert.deepEqual(toHostContainerEnv({ name: 'bare' }, injected, (n) => n, fields), { name: 'bare', envFrom: injected });
  assert.deepEqual(toHostContainerEnv({ name: 'none' }, [], (n) => n, fields), { name: 'none' });
});
