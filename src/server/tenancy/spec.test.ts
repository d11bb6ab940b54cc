import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SYNC, readSpec } from './spec.ts';
import { virtualClusterCRD } from './virtualcluster-crd.ts';

const vc = (spec: Record<string, unknown>) => ({ apiVersion: 'kubevisor.dev/v1alpha1', kind: 'VirtualCluster', metadata: { name: 'a' }, spec });

test('defaults: standalone, sqlite, no nodes, no host', () => {
  const { spec, errors } = readSpec(vc({}));
  assert.deepEqual(errors, []);
  assert.equal(spec.host, undefined);
  assert.equal(spec.storage, 'sqlite');
  assert.equal(spec.nodes, 0);
});

const defaultGuardrails = {
  quota: undefined,
  limitRange: undefined,
  podSecurity: { enforce: 'baseline', audit: undefined, warn: undefined },
  isolation: { networkPolicy: true, nodeSelector: undefined, tolerations: undefined, runtimeClassName: undefined },
  sync: DEFAULT_SYNC,
};

test('a host from a kubeconfig file or a Secret, with defaults for the Secret', () => {
  const a = readSpec(vc({ host: { kubeconfigFile: '/etc/host.yaml', context: 'prod', namespace: 'team-a' } }));
  assert.deepEqual(a.errors, []);
  assert.deepEqual(a.spec.host, { kubeconfig: { file: '/etc/host.yaml' }, context: 'prod', namespace: 'team-a', ...defaultGuardrails });
  const b = readSpec(vc({ host: { kubeconfigSecret: { name: 'hk' }, namespace: 'team-b' } }));
  assert.deepEqual(b.errors, []);
  assert.deepEqual(b.spec.host, { kubeconfig: { secret: { name: 'hk', namespace: 'default', key: 'config' } }, context: undefined, namespace: 'team-b', ...defaultGuardrails });
});

test('a host needs a namespace and exactly one kubeconfig source; simulated nodes are refused with a host', () => {
  const fields = (spec: Record<string, unknown>) => readSpec(vc(spec)).errors.map((e) => e.field).sort();
  assert.deepEqual(fields({ host: { kubeconfigFile: '/k' } }), ['spec.host.namespace']);
  assert.deepEqual(fields({ host: { namespace: 'Bad_NS', kubeconfigFile: '/k' } }), ['spec.host.namespace']);
  assert.deepEqual(fields({ host: { namespace: 'ns' } }), ['spec.host']);
  assert.deepEqual(fields({ host: { namespace: 'ns', kubeconfigFile: '/k', kubeconfigSecret: { name: 's' } } }), ['spec.host']);
  assert.deepEqual(fields({ host: { namespace: 'ns', kubeconfigFile: '/k' }, nodes: 3 }), ['spec.nodes']);
});

const withHost = (extra: Record<string, unknown>) => readSpec(vc({ host: { kubeconfigFile: '/k', namespace: 'ns', ...extra } }));

test('host guardrails: quota, limit range, pod security and isolation as given', () => {
  const tolerations = [{ key: 'tenant', operator: 'Equal', value: 'a', effect: 'NoSchedule' }];
  const { spec, errors } = withHost({
    quota: { pods: 50, 'requests.cpu': '10', 'count/deployments.apps': '5' },
    limitRange: [{ type: 'Container', default: { cpu: '500m' }, max: { memory: '1Gi' } }, { type: 'PersistentVolumeClaim', max: { storage: '10Gi' } }],
    podSecurity: { enforce: 'restricted', warn: 'restricted' },
    isolation: { networkPolicy: false, nodeSelector: { pool: 'tenant-a' }, tolerations, runtimeClassName: 'gvisor' },
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(spec.host?.quota, { pods: '50', 'requests.cpu': '10', 'count/deployments.apps': '5' });
  assert.deepEqual(spec.host?.limitRange, [{ type: 'Container', default: { cpu: '500m' }, max: { memory: '1Gi' } }, { type: 'PersistentVolumeClaim', max: { storage: '10Gi' } }]);
  assert.deepEqual(spec.host?.podSecurity, { enforce: 'restricted', audit: undefined, warn: 'restricted' });
  assert.deepEqual(spec.host?.isolation, { networkPolicy: false, nodeSelector: { pool: 'tenant-a' }, tolerations, runtimeClassName: 'gvisor' });
  // Empty values are the same as absent ones.
  assert.deepEqual(withHost({ quota: {}, limitRange: [], podSecurity: {}, isolation: { nodeSelector: {}, tolerations: [] } }).spec.host, withHost({}).spec.host);
});

test('host guardrails: bad values are field errors naming the field', () => {
  const errs = (extra: Record<string, unknown>) => withHost(extra).errors.map((e) => `${e.field}: ${e.detail ?? e.type}`);
  assert.deepEqual(errs({ quota: { pods: 'lots' } }).map((e) => e.split(':')[0]), ['spec.host.quota[pods]']);
  assert.match(errs({ quota: { widgets: '1' } })[0], /^spec\.host\.quota\[widgets\]: must be a standard resource/);
  assert.match(errs({ quota: { pods: '-1' } })[0], /^spec\.host\.quota\[pods\]: must be greater than or equal to 0/);
  assert.match(errs({ quota: { pods: '1.5' } })[0], /^spec\.host\.quota\[pods\]: must be an integer/);
  assert.match(errs({ quota: ['pods'] })[0], /^spec\.host\.quota: must be an object/);
  assert.match(errs({ limitRange: { type: 'Container' } })[0], /^spec\.host\.limitRange: must be a list/);
  assert.match(errs({ limitRange: [{ type: 'Node' }] })[0], /^spec\.host\.limitRange\[0\]\.type: supported values: "Container", "Pod", "PersistentVolumeClaim"/);
  assert.match(errs({ limitRange: [{ max: { cpu: '1' } }] })[0], /^spec\.host\.limitRange\[0\]\.type: /);
  assert.match(errs({ limitRange: [{ type: 'Container', max: { cpu: 'x' } }] })[0], /^spec\.host\.limitRange\[0\]\.max\[cpu\]: quantities must match/);
  assert.match(errs({ limitRange: [{ type: 'Pod', default: { cpu: '1' } }] })[0], /^spec\.host\.limitRange\[0\]\.default: may not be specified when `type` is 'Pod'/);
  assert.match(errs({ podSecurity: { enforce: 'strict' } })[0], /^spec\.host\.podSecurity\.enforce: supported values: "privileged", "baseline", "restricted"/);
  assert.match(errs({ podSecurity: { audit: 'none' } })[0], /^spec\.host\.podSecurity\.audit: /);
  assert.match(errs({ isolation: { networkPolicy: 'yes' } })[0], /^spec\.host\.isolation\.networkPolicy: must be true or false/);
  assert.deepEqual(errs({ isolation: { nodeSelector: { 'bad key!': 'x' } } }).map((e) => e.split(':')[0]), ['spec.host.isolation.nodeSelector']);
  assert.match(errs({ isolation: { tolerations: [{ operator: 'Equal', value: 'x' }] } })[0], /^spec\.host\.isolation\.tolerations\[0\]\.operator: /);
  assert.match(errs({ isolation: { runtimeClassName: 'Not_Valid' } })[0], /^spec\.host\.isolation\.runtimeClassName: /);
  // A bad guardrail stops the host like any other bad host field.
  assert.equal(withHost({ quota: { pods: 'lots' } }).spec.host, undefined);
});

test('the CRD describes every host guardrail field', () => {
  const version = (virtualClusterCRD().spec as { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: { host: { properties: Record<string, { description?: string; properties?: Record<string, { description?: string }> }> } } } } } } }[] }).versions[0];
  const host = version.schema.openAPIV3Schema.properties.spec.properties.host.properties;
  for (const field of ['quota', 'limitRange', 'podSecurity', 'isolation']) assert.ok(host[field]?.description, field);
  for (const field of ['enforce', 'audit', 'warn']) assert.ok(host.podSecurity.properties?.[field]?.description, field);
  for (const field of ['networkPolicy', 'nodeSelector', 'tolerations', 'runtimeClassName']) assert.ok(host.isolation.properties?.[field]?.description, field);
});

test('host sync options: defaults, given flags, and bad values named by field', () => {
  assert.deepEqual(withHost({}).spec.host?.sync, {
    toHost: { allConfigMaps: false, allSecrets: false, ingresses: false, networkPolicies: false, podDisruptionBudgets: false, priorityClasses: false },
    fromHost: { persistentVolumes: true, storageClasses: false, ingressClasses: false, priorityClasses: false },
    nodes: 'fake',
    hostSchedulers: ['default-scheduler'],
    allNodes: false,
  });
  const given = withHost({ sync: { toHost: { ingresses: true, allSecrets: true }, fromHost: { persistentVolumes: false, storageClasses: true }, nodes: 'real' } });
  assert.deepEqual(given.errors, []);
  assert.equal(given.spec.host?.sync.toHost.ingresses, true);
  assert.equal(given.spec.host?.sync.toHost.allSecrets, true);
  assert.equal(given.spec.host?.sync.toHost.networkPolicies, false);
  assert.equal(given.spec.host?.sync.fromHost.persistentVolumes, false);
  assert.equal(given.spec.host?.sync.fromHost.storageClasses, true);
  assert.equal(given.spec.host?.sync.nodes, 'real');
  const errs = (sync: unknown) => withHost({ sync }).errors.map((e) => `${e.field}: ${e.detail ?? e.type}`);
  assert.deepEqual(errs({ toHost: { ingresses: 'yes' } }), ['spec.host.sync.toHost.ingresses: must be true or false']);
  assert.match(errs({ toHost: { deployments: true } })[0]!, /^spec\.host\.sync\.toHost\.deployments: supported fields: "allConfigMaps"/);
  assert.deepEqual(errs({ nodes: 'copied' }), ['spec.host.sync.nodes: supported values: "fake", "real"']);
  assert.deepEqual(errs({ fromHost: [] }), ['spec.host.sync.fromHost: must be an object']);
  assert.equal(withHost({ sync: { nodes: 'copied' } }).spec.host, undefined);
});

test('host schedulers and all nodes: defaults, given values, and bad ones named by field', () => {
  const given = withHost({ sync: { hostSchedulers: ['default-scheduler', 'volcano', 'sched.example.com'], allNodes: true } });
  assert.deepEqual(given.errors, []);
  assert.deepEqual(given.spec.host?.sync.hostSchedulers, ['default-scheduler', 'volcano', 'sched.example.com']);
  assert.equal(given.spec.host?.sync.allNodes, true);
  // Null is the default; an empty list holds every unbound pod for the tenant's schedulers.
  assert.deepEqual(withHost({ sync: { hostSchedulers: null, allNodes: null } }).spec.host?.sync, DEFAULT_SYNC);
  assert.deepEqual(withHost({ sync: { hostSchedulers: [] } }).spec.host?.sync.hostSchedulers, []);
  const errs = (sync: unknown) => withHost({ sync }).errors.map((e) => `${e.type} ${e.field}: ${e.detail ?? ''}`);
  assert.deepEqual(errs({ allNodes: 'yes' }), ['FieldValueTypeInvalid spec.host.sync.allNodes: must be true or false']);
  assert.deepEqual(errs({ hostSchedulers: 'volcano' }), ['FieldValueTypeInvalid spec.host.sync.hostSchedulers: must be a list of scheduler names']);
  assert.deepEqual(errs({ hostSchedulers: ['volcano', '', 7, 'volcano'] }), [
    'FieldValueRequired spec.host.sync.hostSchedulers[1]: a scheduler name, such as "default-scheduler"',
    'FieldValueTypeInvalid spec.host.sync.hostSchedulers[2]: must be a scheduler name (a string)',
    'FieldValueDuplicate spec.host.sync.hostSchedulers[3]: each scheduler is named once',
  ]);
  const bad = withHost({ sync: { hostSchedulers: ['Tenant_Scheduler'] } });
  assert.equal(bad.spec.host, undefined);
  assert.equal(bad.errors.length, 1);
  assert.equal(bad.errors[0]!.field, 'spec.host.sync.hostSchedulers[0]');
  assert.equal(bad.errors[0]!.type, 'FieldValueInvalid');
  assert.match(bad.errors[0]!.detail ?? '', /lower case alphanumeric/);
  const version = (virtualClusterCRD().spec as { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: { host: { properties: { sync: { properties: Record<string, { type?: string; description?: string }> } } } } } } } } }[] }).versions[0]!;
  const schema = version.schema.openAPIV3Schema.properties.spec.properties.host.properties.sync.properties;
  assert.equal(schema.hostSchedulers?.type, 'array');
  assert.equal(schema.allNodes?.type, 'boolean');
  assert.ok(schema.hostSchedulers?.description && schema.allNodes?.description);
});
