import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import {
  envConfigMapName, envConfigMapOf, injectedEnvFrom, kubernetesEnvConfigMap, serviceLinksConfigMap,
} from './env-config-maps.ts';
import { hostName, hostTokenSecretName } from './names.ts';

const target = { vcluster: 'team-a', hostNamespace: 'tenants' };

const services: KubeObject[] = [
  { metadata: { name: 'db', namespace: 'shop' }, spec: { clusterIP: '10.96.0.20', ports: [{ name: 'postgres', port: 5432, protocol: 'TCP' }] } },
  { metadata: { name: 'headless', namespace: 'shop' }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } },
  { metadata: { name: 'alias', namespace: 'shop' }, spec: { type: 'ExternalName', externalName: 'example.com' } },
  { metadata: { name: 'elsewhere', namespace: 'blog' }, spec: { clusterIP: '10.96.0.30', ports: [{ port: 80 }] } },
  { metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443 }] } },
];

test('the cluster\'s ConfigMap holds the kubernetes variables pointing at the kubevisor server, with markers', () => {
  const cm = kubernetesEnvConfigMap(target, { host: '10.96.0.10', port: 6443 });
  assert.equal(cm.metadata.name, 'kubernetes-x-team-a.env');
  assert.equal(cm.metadata.namespace, 'tenants');
  assert.deepEqual(cm['data'], {
    KUBERNETES_SERVICE_HOST: '10.96.0.10',
    KUBERNETES_SERVICE_PORT: '6443',
    KUBERNETES_SERVICE_PORT_HTTPS: '6443',
    KUBERNETES_PORT: 'tcp://10.96.0.10:6443',
    KUBERNETES_PORT_6443_TCP: 'tcp://10.96.0.10:6443',
    KUBERNETES_PORT_6443_TCP_PROTO: 'tcp',
    KUBERNETES_PORT_6443_TCP_PORT: '6443',
    KUBERNETES_PORT_6443_TCP_ADDR: '10.96.0.10',
  });
  assert.deepEqual(cm.metadata.labels, { 'kubevisor.dev/vcluster': 'team-a' });
  assert.deepEqual(cm.metadata.annotations, {
    'kubevisor.dev/vcluster': 'team-a', 'kubevisor.dev/object-kind': 'ServiceEnv', 'kubevisor.dev/object-name': 'kubernetes',
  });
  assert.deepEqual(envConfigMapOf(cm, 'team-a'), {});
  assert.equal(envConfigMapOf(cm, 'team-b'), undefined);
});

test('a namespace\'s ConfigMap holds the service links of its services with a cluster IP', () => {
  const cm = serviceLinksConfigMap(target, 'shop', services);
  assert.equal(cm.metadata.name, 'service-links-x-shop-x-team-a.env');
  assert.deepEqual(cm['data'], {
    DB_SERVICE_HOST: '10.96.0.20',
    DB_SERVICE_PORT: '5432',
    DB_SERVICE_PORT_POSTGRES: '5432',
    DB_PORT: 'tcp://10.96.0.20:5432',
    DB_PORT_5432_TCP: 'tcp://10.96.0.20:5432',
    DB_PORT_5432_TCP_PROTO: 'tcp',
    DB_PORT_5432_TCP_PORT: '5432',
    DB_PORT_5432_TCP_ADDR: '10.96.0.20',
  });
  assert.deepEqual(cm.metadata.labels, { 'kubevisor.dev/vcluster': 'team-a', 'kubevisor.dev/namespace': 'shop' });
  assert.equal(cm.metadata.annotations?.['kubevisor.dev/object-namespace'], 'shop');
  assert.deepEqual(envConfigMapOf(cm, 'team-a'), { namespace: 'shop' });
  // The virtual default/kubernetes has its own ConfigMap; a namespace without services gets an empty one.
  assert.deepEqual(serviceLinksConfigMap(target, 'default', services)['data'], {});
  assert.deepEqual(serviceLinksConfigMap(target, 'empty', [])['data'], {});
});

test('a user object or a token Secret never takes their names', () => {
  for (const [name, ns] of [['kubernetes', 'default'], ['service-links', 'shop'], ['kubernetes', 'team-a']] as const) {
    assert.notEqual(hostName(name, ns, 'team-a'), envConfigMapName('team-a', {}));
    assert.notEqual(hostName(name, ns, 'team-a'), envConfigMapName('team-a', { namespace: 'shop' }));
  }
  assert.notEqual(hostTokenSecretName('service-links', 'shop', 'team-a'), envConfigMapName('team-a', { namespace: 'shop' }));
  const long = envConfigMapName('team-a', { namespace: 'n'.repeat(63) });
  assert.ok(long.length <= 63 + '.env'.length && long.endsWith('.env'), long);
});

test('containers read the cluster\'s ConfigMap, then the namespace\'s unless service links are off', () => {
  assert.deepEqual(injectedEnvFrom('team-a', 'shop', true), [
    { configMapRef: { name: 'kubernetes-x-team-a.env' } }, { configMapRef: { name: 'service-links-x-shop-x-team-a.env' } },
  ]);
  assert.deepEqual(injectedEnvFrom('team-a', 'shop', false), [{ configMapRef: { name: 'kubernetes-x-team-a.env' } }]);
});

test('other host objects are not env ConfigMaps', () => {
  const user: KubeObject = { metadata: { name: 'x', annotations: { 'kubevisor.dev/vcluster': 'team-a', 'kubevisor.dev/object-kind': 'ConfigMap', 'kubevisor.dev/object-name': 'kubernetes' }, labels: { 'kubevisor.dev/vcluster': 'team-a' } } };
  assert.equal(envConfigMapOf(user, 'team-a'), undefined);
  assert.equal(envConfigMapOf({ metadata: { name: 'kube-root-ca.crt' } }, 'team-a'), undefined);
});
