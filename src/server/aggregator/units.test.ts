// Unit tests of the aggregator's parts: the APIService strategy's texts,
// its printer, the X-Remote-* headers, the query encoding, discovery
// merging (group and version order, resources in aggregated form), the Local
// APIServices wanted, the availability condition's bookkeeping.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { apiServiceStrategy, validateAPIService, validateAPIServiceStatus } from '../../registry/strategies/apiregistration-apiservice.ts';
import { apiServiceTable } from '../../registry/tables/misc.ts';
import { authProxyHeaders, headerKeyEscape } from './headers.ts';
import { encodeQuery } from './proxy.ts';
import { aggregatedResources, insertByRank, orderVersions, backendRank, compareRanks } from './discovery.ts';
import { crdGroupVersions, desiredLocalAPIServices } from './local.ts';
import { hasAvailableEndpoint } from './availability.ts';
import { authenticationData, withCondition } from '../../controllers/apiregistration/index.ts';
import type { Backend } from './index.ts';

const obj = (name: string, spec: Record<string, unknown>, status?: unknown) =>
  ({ apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name }, spec, status }) as unknown as KubeObject;

const texts = (errs: ReturnType<typeof validateAPIService>) => errs.map((e) => `${e.field}|${e.type}|${String(e.value ?? '')}|${e.detail ?? ''}`);

test('validation: name, group, version, priorities, service and TLS settings', () => {
  const good = { group: 'metrics.k8s.io', version: 'v1beta1', groupPriorityMinimum: 100, versionPriority: 100, service: { namespace: 'kube-system', name: 'metrics-server', port: 443 }, insecureSkipTLSVerify: true };
  assert.deepEqual(validateAPIService(obj('v1beta1.metrics.k8s.io', good)), []);
  assert.deepEqual(texts(validateAPIService(obj('v1.metrics.k8s.io', good))),
    ['metadata.name|FieldValueInvalid|v1.metrics.k8s.io|must be `spec.version+"."+spec.group`: "v1beta1.metrics.k8s.io"']);
  // The core group: only v1, named "v1.".
  assert.deepEqual(validateAPIService(obj('v1.', { group: '', version: 'v1', groupPriorityMinimum: 18000, versionPriority: 1 })), []);
  assert.deepEqual(texts(validateAPIService(obj('v2.', { group: '', version: 'v2', groupPriorityMinimum: 1, versionPriority: 1 }))),
    ['spec.group|FieldValueRequired||only v1 may have an empty group and it better be legacy kube']);
  assert.deepEqual(texts(validateAPIService(obj('V1.Bad_Group', { group: 'Bad_Group', version: 'V1', groupPriorityMinimum: 20001, versionPriority: 1001 }))), [
    'spec.group|FieldValueInvalid|Bad_Group|a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
    'spec.version|FieldValueInvalid|V1|a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character, and end with an alphanumeric character (e.g. \'my-name\',  or \'abc-123\', regex used for validation is \'[a-z]([-a-z0-9]*[a-z0-9])?\')',
    'spec.groupPriorityMinimum|FieldValueInvalid|20001|must be positive and less than 20000',
    'spec.versionPriority|FieldValueInvalid|1001|must be positive and less than 1000',
  ]);
  assert.deepEqual(texts(validateAPIService(obj('v1.x.io', { group: 'x.io', version: 'v1', groupPriorityMinimum: 1, versionPriority: 1, service: { port: 0 } }))), [
    'spec.service.namespace|FieldValueRequired||', 'spec.service.name|FieldValueRequired||',
    'spec.service.port|FieldValueInvalid|0|port is not valid: must be between 1 and 65535, inclusive',
  ]);
  assert.deepEqual(texts(validateAPIService(obj('v1.x.io', { group: 'x.io', version: 'v1', groupPriorityMinimum: 1, versionPriority: 1, insecureSkipTLSVerify: true }))),
    ['spec.insecureSkipTLSVerify|FieldValueInvalid|true|local APIServices may not have insecureSkipTLSVerify']);
  assert.deepEqual(texts(validateAPIService(obj('v1.x.io', { group: 'x.io', version: 'v1', groupPriorityMinimum: 1, versionPriority: 1, service: { namespace: 'a', name: 'b', port: 1 }, caBundle: 'YWJj', insecureSkipTLSVerify: true }))),
    ['spec.insecureSkipTLSVerify|FieldValueInvalid|true|may not be true if caBundle is present']);
  assert.deepEqual(texts(validateAPIServiceStatus(obj('v1.x.io', {}, { conditions: [{ type: 'Available', status: 'Maybe' }] }))),
    ['status.conditions[0].status|FieldValueNotSupported|Maybe|']);
});

test('create: port 443 by default, a Local one Available at once, status of a backed one cleared', () => {
  const backed = obj('v1.x.io', { group: 'x.io', version: 'v1', service: { namespace: 'a', name: 'b' } }, { conditions: [{ type: 'Available', status: 'True' }] });
  apiServiceStrategy.prepareForCreate!(backed);
  apiServiceStrategy.defaults!(backed);
  assert.equal(backed.status, undefined);
  assert.equal(((backed.spec as Record<string, Record<string, unknown>>).service)!.port, 443);
  const local = obj('v1.y.io', { group: 'y.io', version: 'v1' });
  apiServiceStrategy.prepareForCreate!(local);
  const c = (local.status as { conditions: Record<string, unknown>[] }).conditions[0]!;
  assert.deepEqual([c.type, c.status, c.reason, c.message], ['Available', 'True', 'Local', 'Local APIServices are always available']);
});

test('printer: NAME SERVICE AVAILABLE AGE, Local or NS/NAME, True or False (Reason)', () => {
  const now = new Date();
  assert.deepEqual(apiServiceTable.columns.map((c) => c.name), ['Name', 'Service', 'Available', 'Age']);
  const cells = (o: KubeObject) => apiServiceTable.cells(o, now).slice(0, 3);
  assert.deepEqual(cells(obj('v1.apps', { group: 'apps', version: 'v1' }, { conditions: [{ type: 'Available', status: 'True', reason: 'Local' }] })), ['v1.apps', 'Local', 'True']);
  assert.deepEqual(cells(obj('v1beta1.metrics.k8s.io', { service: { namespace: 'kube-system', name: 'metrics-server' } },
    { conditions: [{ type: 'Available', status: 'False', reason: 'MissingEndpoints' }] })), ['v1beta1.metrics.k8s.io', 'kube-system/metrics-server', 'False (MissingEndpoints)']);
  assert.deepEqual(cells(obj('v1.x.io', { service: { namespace: 'a', name: 'b' } })), ['v1.x.io', 'a/b', 'Unknown']);
});

test('X-Remote-* headers: user, uid, each group, extras with escaped keys', () => {
  assert.equal(headerKeyEscape('scopes'), 'scopes');
  assert.equal(headerKeyEscape('example.com/key'), 'example.com%2Fkey');
  assert.equal(headerKeyEscape('a%b c'), 'a%25b%20c');
  assert.equal(headerKeyEscape('é'), '%C3%A9');
  assert.deepEqual(authProxyHeaders({ username: 'jane', uid: 'u-1', groups: ['dev', 'system:authenticated'], extra: { 'example.com/team': ['a', 'b'], empty: [] } }), {
    'x-remote-user': 'jane', 'x-remote-uid': 'u-1', 'x-remote-group': ['dev', 'system:authenticated'], 'x-remote-extra-example.com%2fteam': ['a', 'b'],
  });
  assert.deepEqual(authProxyHeaders({ username: 'system:anonymous', groups: [] }), { 'x-remote-user': 'system:anonymous' });
});

test('the query as Go re-encodes it: keys sorted, values in order', () => {
  assert.equal(encodeQuery(new URLSearchParams('watch=true&labelSelector=a%3Db&fieldSelector=&a=2&a=1')), '?a=2&a=1&fieldSelector=&labelSelector=a%3Db&watch=true');
  assert.equal(encodeQuery(new URLSearchParams('')), '');
});

const backend = (name: string, gp: number, vp: number): Backend => {
  const [version, ...g] = name.split('.');
  return { name, group: g.join('.'), version: version!, groupPriorityMinimum: gp, versionPriority: vp, service: { namespace: 'n', name: 's', port: 443 }, caPem: undefined, insecureSkipTLSVerify: false, available: true };
};

test('discovery order: groups by priority then APIService name, versions by priority then Kubernetes order', () => {
  assert.deepEqual(orderVersions([{ version: 'v1beta1', priority: 100 }, { version: 'v1', priority: 100 }, { version: 'v2alpha1', priority: 200 }]), ['v2alpha1', 'v1', 'v1beta1']);
  assert.ok(compareRanks({ priority: 200, name: 'z' }, { priority: 100, name: 'a' }) < 0);
  assert.ok(compareRanks({ priority: 100, name: 'v1.a' }, { priority: 100, name: 'v1.b' }) < 0);
  assert.deepEqual(backendRank([backend('v1beta1.custom.metrics.k8s.io', 100, 100), backend('v1beta2.custom.metrics.k8s.io', 200, 200)]),
    { priority: 200, name: 'v1beta2.custom.metrics.k8s.io' });
  const local = [{ n: 'apps', p: 17800 }, { n: 'batch', p: 17400 }, { n: 'crd.example.com', p: 1000 }];
  const merged = insertByRank(local, (x) => ({ priority: x.p, name: `v1.${x.n}` }), [
    { item: { n: 'metrics.k8s.io', p: 100 }, rank: { priority: 100, name: 'v1beta1.metrics.k8s.io' } },
    { item: { n: 'high.example.com', p: 17500 }, rank: { priority: 17500, name: 'v1.high.example.com' } },
    { item: { n: 'a.example.com', p: 1000 }, rank: { priority: 1000, name: 'v1.a.example.com' } },
  ]);
  assert.deepEqual(merged.map((x) => x.n), ['apps', 'high.example.com', 'batch', 'a.example.com', 'crd.example.com', 'metrics.k8s.io']);
});

test("a backend's APIResourceList in aggregated discovery's form", () => {
  assert.deepEqual(aggregatedResources('metrics.k8s.io', 'v1beta1', [
    { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
    { name: 'pods', singularName: 'pod', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'], shortNames: ['pm'], categories: ['all'] },
    { name: 'pods/status', namespaced: true, kind: 'PodMetrics', verbs: ['get'], group: 'other', version: 'v9' },
  ]), [
    { resource: 'nodes', responseKind: { group: 'metrics.k8s.io', version: 'v1beta1', kind: 'NodeMetrics' }, scope: 'Cluster', singularResource: '', verbs: ['get', 'list'] },
    { resource: 'pods', responseKind: { group: 'metrics.k8s.io', version: 'v1beta1', kind: 'PodMetrics' }, scope: 'Namespaced', singularResource: 'pod', verbs: ['get', 'list'],
      shortNames: ['pm'], categories: ['all'], subresources: [{ subresource: 'status', responseKind: { group: 'other', version: 'v9', kind: 'PodMetrics' }, verbs: ['get'] }] },
  ]);
});

test('Local APIServices wanted: built-ins with priorities (not the Metrics API), Established CRDs served versions', () => {
  const crds = [
    { metadata: { name: 'a' }, spec: { group: 'a.io', versions: [{ name: 'v1', served: true }, { name: 'v2', served: false }] }, status: { conditions: [{ type: 'Established', status: 'True' }] } },
    { metadata: { name: 'b' }, spec: { group: 'b.io', versions: [{ name: 'v1', served: true }] }, status: { conditions: [{ type: 'Established', status: 'False' }] } },
  ] as unknown as KubeObject[];
  const gvs = crdGroupVersions(crds);
  assert.deepEqual(gvs, [{ group: 'a.io', version: 'v1' }]);
  const want = desiredLocalAPIServices([{ group: '', version: 'v1' }, { group: 'apps', version: 'v1' }, { group: 'metrics.k8s.io', version: 'v1beta1' }], gvs);
  assert.deepEqual([...want.keys()], ['v1.', 'v1.apps', 'v1.a.io']);
  assert.deepEqual(want.get('v1.')!.priority, { group: 18000, version: 1 });
  assert.equal(want.get('v1.a.io')!.managed, 'true');
  assert.equal(want.get('v1.apps')!.managed, 'onstart');
});

test('availability: endpoints with the port name, the condition time moving with its status only', () => {
  const slice = (ready: boolean | undefined, port: string) => ({ metadata: {}, endpoints: [{ addresses: ['10.0.0.1'], conditions: ready === undefined ? {} : { ready } }], ports: [{ name: port, port: 8443 }] }) as unknown as KubeObject;
  assert.equal(hasAvailableEndpoint('https', [slice(true, 'https')]), true);
  assert.equal(hasAvailableEndpoint('https', [slice(undefined, 'https')]), true);
  assert.equal(hasAvailableEndpoint('https', [slice(false, 'https')]), false);
  assert.equal(hasAvailableEndpoint('', [slice(true, 'https')]), false);
  const t0 = new Date('2026-01-01T00:00:00Z'), t1 = new Date('2026-01-01T00:01:00Z');
  const s0 = withCondition(undefined, { type: 'Available', status: 'False', reason: 'ServiceNotFound', message: 'm' }, t0);
  const s1 = withCondition(s0, { type: 'Available', status: 'False', reason: 'MissingEndpoints', message: 'n' }, t1);
  assert.deepEqual((s1.conditions as unknown[])[0], { type: 'Available', status: 'False', reason: 'MissingEndpoints', message: 'n', lastTransitionTime: '2026-01-01T00:00:00Z' });
  const s2 = withCondition(s1, { type: 'Available', status: 'True', reason: 'Passed', message: 'all checks passed' }, t1);
  assert.equal(((s2.conditions as Record<string, unknown>[])[0]!).lastTransitionTime, '2026-01-01T00:01:00Z');
});

test('extension-apiserver-authentication data', () => {
  assert.deepEqual(authenticationData('CLIENT', 'FRONT'), {
    'client-ca-file': 'CLIENT', 'requestheader-allowed-names': '["front-proxy-client"]', 'requestheader-client-ca-file': 'FRONT',
    'requestheader-extra-headers-prefix': '["X-Remote-Extra-"]', 'requestheader-group-headers': '["X-Remote-Group"]',
    'requestheader-uid-headers': '["X-Remote-Uid"]', 'requestheader-username-headers': '["X-Remote-User"]',
  });
});
