// MutatingAdmissionPolicies against a whole kubevisor server in this
// process: ApplyConfiguration and JSONPatch mutations of a client's writes
// and a controller's, params, matchConditions, failurePolicy, reinvocation,
// the store's validation of what a mutation left, and writes no policy
// matches (or no binding applies) left alone.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubevisorServer, type KubevisorServer } from '../../../../cli/server-runtime.ts';
import { ensurePki, type Pki } from '../../../pki/pki.ts';
import type { VirtualCluster } from '../../../cluster.ts';
import { apiClient, eventually, type ApiAnswer } from '../../testing.ts';

const CLUSTER = 'mutating';
const API = `/clusters/${CLUSTER}`;
const AR = '/apis/admissionregistration.k8s.io/v1';

let dir: string;
let pki: Pki;
let server: KubevisorServer;
let vc: VirtualCluster;
let port: number;

type Json = ApiAnswer['json'];
const { call, ok } = apiClient(() => ({ port, ca: pki.caCert, token: 'admin-token', prefix: API }));

async function namespace(name: string): Promise<void> {
  await ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'mutating-test': name } } });
}

const inNs = (name: string) => ({ namespaceSelector: { matchLabels: { 'mutating-test': name } } });

const rules = (resources = ['deployments'], operations = ['CREATE', 'UPDATE']) => ({
  resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations, resources }],
});

/** A policy and one binding of it (until the returned function). */
async function install(name: string, spec: Json, binding: Json = {}): Promise<() => Promise<void>> {
  await ok('POST', `${AR}/mutatingadmissionpolicies`, {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingAdmissionPolicy', metadata: { name }, spec,
  });
  await ok('POST', `${AR}/mutatingadmissionpolicybindings`, {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingAdmissionPolicyBinding', metadata: { name: `${name}-binding` },
    spec: { policyName: name, ...binding },
  });
  return async () => {
    await ok('DELETE', `${AR}/mutatingadmissionpolicybindings/${name}-binding`);
    await ok('DELETE', `${AR}/mutatingadmissionpolicies/${name}`);
  };
}

function deployment(name: string, replicas: number): Json {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, labels },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'example/app:1' }] } } },
  };
}

const labelAndFloor = (ns: string): Json => ({
  matchConstraints: { ...rules(), ...inNs(ns) },
  mutations: [{
    patchType: 'ApplyConfiguration',
    applyConfiguration: {
      expression: `Object{
        metadata: Object.metadata{labels: {"mutated-by": "policy"}},
        spec: Object.spec{replicas: object.spec.replicas < 2 ? 2 : object.spec.replicas}
      }`,
    },
  }],
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubevisor-mutating-'));
  pki = await ensurePki(join(dir, 'data'));
  server = await startKubevisorServer({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'data'), storage: { backend: 'sqlite' }, pki });
  vc = await server.ensureCluster(CLUSTER, { nodes: 1 });
  port = Number(new URL(server.url).port);
  vc.tokens.push({ authenticateToken: (t) => (t === 'admin-token' ? { username: 'admin', groups: ['system:masters', 'system:authenticated'] } : undefined) });
});

after(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('ApplyConfiguration: a label added and a replicas floor on create and update; other namespaces untouched; gone with the binding', async () => {
  await namespace('mp-apply');
  await namespace('mp-other');
  const remove = await install('label-floor', labelAndFloor('mp-apply'));
  const base = '/apis/apps/v1/namespaces/mp-apply/deployments';
  const created = await ok('POST', base, deployment('web', 1));
  assert.equal(created.metadata.labels['mutated-by'], 'policy');
  assert.equal(created.metadata.labels.app, 'web');
  assert.equal(created.spec.replicas, 2);
  // An update through the scale of the object itself: the floor holds.
  const updated = await ok('PATCH', `${base}/web`, { spec: { replicas: 0 } }, 'application/merge-patch+json');
  assert.equal(updated.spec.replicas, 2);
  // A dry run is mutated as well.
  const dry = await ok('POST', `${base}?dryRun=All`, deployment('dry', 0));
  assert.equal(dry.spec.replicas, 2);
  // No match: another namespace.
  const other = await ok('POST', '/apis/apps/v1/namespaces/mp-other/deployments', deployment('web', 1));
  assert.equal(other.metadata.labels['mutated-by'], undefined);
  assert.equal(other.spec.replicas, 1);
  await remove();
  const after = await ok('POST', base, deployment('later', 1));
  assert.equal(after.metadata.labels['mutated-by'], undefined);
  assert.equal(after.spec.replicas, 1);
});

test('JSONPatch: an env var injected into every container, a label with an escaped key; the pods a ReplicaSet makes mutated too', async () => {
  await namespace('mp-json');
  const remove = await install('inject', {
    matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }], ...inNs('mp-json') },
    mutations: [{
      patchType: 'JSONPatch',
      jsonPatch: {
        expression: `object.spec.containers.map(c, object.spec.containers.indexOf(c)).map(i, JSONPatch{
          op: "add", path: "/spec/containers/" + string(i) + "/env", value: [{"name": "INJECTED", "value": "yes"}]
        }) + [JSONPatch{op: "add", path: "/metadata/labels/" + jsonpatch.escapeKey("example.com/mutated"), value: "true"}]`,
      },
    }],
  });
  const rs = {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'rs' } }, template: { metadata: { labels: { app: 'rs' } }, spec: { containers: [{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }] } } },
  };
  await ok('POST', '/apis/apps/v1/namespaces/mp-json/replicasets', rs);
  const pod = await eventually(async () => (await ok('GET', '/api/v1/namespaces/mp-json/pods')).items[0] as Json | undefined, 'the ReplicaSet\'s pod');
  assert.deepEqual(pod.spec.containers.map((c: Json) => c.env), [[{ name: 'INJECTED', value: 'yes' }], [{ name: 'INJECTED', value: 'yes' }]]);
  assert.equal(pod.metadata.labels['example.com/mutated'], 'true');
  await remove();
});

test('params, variables and matchConditions', async () => {
  await namespace('mp-params');
  await ok('POST', '/api/v1/namespaces/mp-params/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'team' }, data: { team: 'blue' } });
  const remove = await install('team-label', {
    paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
    matchConstraints: { ...rules(), ...inNs('mp-params') },
    matchConditions: [{ name: 'not-skipped', expression: '!("skip" in object.metadata.labels)' }],
    variables: [{ name: 'team', expression: 'params.data.team' }],
    mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: 'Object{metadata: Object.metadata{labels: {"team": variables.team}}}' } }],
  }, { paramRef: { name: 'team', parameterNotFoundAction: 'Deny' } });
  const base = '/apis/apps/v1/namespaces/mp-params/deployments';
  const d = await ok('POST', base, deployment('web', 1));
  assert.equal(d.metadata.labels.team, 'blue');
  const skipped = deployment('skipped', 1);
  skipped.metadata.labels.skip = 'yes';
  assert.equal((await ok('POST', base, skipped)).metadata.labels.team, undefined);
  // Params not found under Deny: the binding's misconfiguration refuses the write.
  await ok('DELETE', '/api/v1/namespaces/mp-params/configmaps/team');
  const refused = await call('POST', base, deployment('noparams', 1));
  assert.equal(refused.status, 403);
  assert.equal(refused.json.reason, 'Forbidden');
  assert.equal(refused.json.message,
    "policy 'team-label' with binding 'team-label-binding' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction");
  await remove();
});

test('failurePolicy: an evaluation error refuses the write under Fail (Invalid, 403) and is passed over under Ignore', async () => {
  await namespace('mp-fail');
  const spec = (failurePolicy: string): Json => ({
    failurePolicy,
    matchConstraints: { ...rules(), ...inNs('mp-fail') },
    mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: 'Object{metadata: Object.metadata{labels: {"x": object.metadata.labels.missing}}}' } }],
  });
  const base = '/apis/apps/v1/namespaces/mp-fail/deployments';
  let remove = await install('failing', spec('Fail'));
  const refused = await call('POST', base, deployment('web', 1));
  assert.equal(refused.status, 403);
  assert.equal(refused.json.reason, 'Invalid');
  const message = "policy 'failing' with binding 'failing-binding' denied request: expression 'Object{metadata: Object.metadata{labels: {\"x\": object.metadata.labels.missing}}}' resulted in error: no such key: missing";
  assert.equal(refused.json.message, message);
  assert.deepEqual(refused.json.details, { name: 'web', group: 'apps', kind: 'deployments', causes: [{ message }] });
  await remove();
  remove = await install('failing', spec('Ignore'));
  const admitted = await ok('POST', base, deployment('web', 1));
  assert.equal(admitted.metadata.labels.x, undefined);
  await remove();
});

test('what a mutation leaves is validated by the store again', async () => {
  await namespace('mp-valid');
  const remove = await install('negative', {
    matchConstraints: { ...rules(), ...inNs('mp-valid') },
    mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: '[JSONPatch{op: "replace", path: "/spec/replicas", value: -1}]' } }],
  });
  const refused = await call('POST', '/apis/apps/v1/namespaces/mp-valid/deployments', deployment('web', 1));
  assert.equal(refused.status, 422, refused.body);
  assert.match(refused.json.message, /spec\.replicas: Invalid value: -1/);
  await remove();
});

test('reinvocationPolicy IfNeeded: a policy run before a later one changed the object runs again', async () => {
  await namespace('mp-reinvoke');
  const base = '/apis/apps/v1/namespaces/mp-reinvoke/deployments';
  const copy = (reinvocationPolicy: string): Json => ({
    reinvocationPolicy,
    matchConstraints: { ...rules(), ...inNs('mp-reinvoke') },
    // Runs first (by name): copies a label the second policy sets.
    mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: 'Object{metadata: Object.metadata{labels: {"copied": object.metadata.?labels.?second.orValue("none")}}}' } }],
  });
  const removeB = await install('b-second', {
    matchConstraints: { ...rules(), ...inNs('mp-reinvoke') },
    mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: 'Object{metadata: Object.metadata{labels: {"second": "set"}}}' } }],
  });
  let removeA = await install('a-first', copy('Never'));
  assert.equal((await ok('POST', base, deployment('never', 1))).metadata.labels.copied, 'none');
  await removeA();
  removeA = await install('a-first', copy('IfNeeded'));
  const d = await ok('POST', base, deployment('ifneeded', 1));
  assert.equal(d.metadata.labels.second, 'set');
  assert.equal(d.metadata.labels.copied, 'set');
  await removeA();
  await removeB();
});

test('a cluster without bindings runs no policy; deletes are not mutated', async () => {
  await namespace('mp-none');
  // A policy without a binding does nothing.
  await ok('POST', `${AR}/mutatingadmissionpolicies`, {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingAdmissionPolicy', metadata: { name: 'unbound' },
    spec: labelAndFloor('mp-none'),
  });
  const d = await ok('POST', '/apis/apps/v1/namespaces/mp-none/deployments', deployment('web', 1));
  assert.equal(d.spec.replicas, 1);
  await ok('DELETE', `${AR}/mutatingadmissionpolicies/unbound`);
  const remove = await install('on-delete', {
    matchConstraints: { ...rules(['deployments'], ['*']), ...inNs('mp-none') },
    failurePolicy: 'Fail',
    mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: '[JSONPatch{op: "add", path: "/nope/x", value: 1}]' } }],
  });
  await ok('DELETE', '/apis/apps/v1/namespaces/mp-none/deployments/web');
  await remove();
});
