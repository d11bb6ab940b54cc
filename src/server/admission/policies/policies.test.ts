// ValidatingAdmissionPolicies against a whole kubevisor server in this
// process: refusals and their Status, messageExpression and reason, Warn
// bindings, params from a ConfigMap, a binding's namespaceSelector,
// evaluation errors under Fail and Ignore, updates with oldObject, the
// scale subresource, variables and matchConditions, the pods a
// ReplicaSet makes, and connect requests (exec, attach, port-forward) as
// operation CONNECT.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubevisorServer, type KubevisorServer } from '../../../cli/server-runtime.ts';
import { ensurePki, type Pki } from '../../pki/pki.ts';
import type { VirtualCluster } from '../../cluster.ts';
import { apiClient, eventually, upgrade, type ApiAnswer, type Connected, type Refused } from '../testing.ts';

const CLUSTER = 'policies';
const API = `/clusters/${CLUSTER}`;
const AR = '/apis/admissionregistration.k8s.io/v1';

let dir: string;
let pki: Pki;
let server: KubevisorServer;
let vc: VirtualCluster;
let port: number;

type Json = Record<string, unknown>;
type Answer = ApiAnswer;
const { call, ok } = apiClient(() => ({ port, ca: pki.caCert, token: 'admin-token', prefix: API }));

function warnings(a: Answer): string[] {
  return a.rawHeaders.flatMap((v, i) => (i % 2 === 1 && a.rawHeaders[i - 1]!.toLowerCase() === 'warning' ? [v] : []));
}

/** A namespace of the test's own, labelled so that a binding's namespaceSelector picks it alone. */
async function namespace(name: string, labels: Record<string, string> = {}): Promise<void> {
  await ok('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'policy-test': name, ...labels } } });
}

const inNs = (name: string) => ({ namespaceSelector: { matchLabels: { 'policy-test': name } } });

const deploymentRules = (operations = ['CREATE', 'UPDATE']) => ({
  resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations, resources: ['deployments', 'deployments/scale'] }],
});

/** A policy and one binding of it for the test's duration (until the returned function). */
async function install(name: string, spec: Json, binding: Json = {}): Promise<() => Promise<void>> {
  await ok('POST', `${AR}/validatingadmissionpolicies`, {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name }, spec,
  });
  await ok('POST', `${AR}/validatingadmissionpolicybindings`, {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: `${name}-binding` },
    spec: { policyName: name, validationActions: ['Deny'], ...binding },
  });
  return async () => {
    await ok('DELETE', `${AR}/validatingadmissionpolicybindings/${name}-binding`);
    await ok('DELETE', `${AR}/validatingadmissionpolicies/${name}`);
  };
}

function deployment(name: string, replicas: number, labels: Record<string, string> = { app: name }): Json {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, labels },
    spec: {
      replicas, selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'example/app:1' }] } },
    },
  };
}

const denial = (policy: string, why: string) => `ValidatingAdmissionPolicy '${policy}' with binding '${policy}-binding' denied request: ${why}`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubevisor-policies-'));
  pki = await ensurePki(join(dir, 'data'));
  // Host access: a pod's exec runs the local command its annotation names (the CONNECT tests).
  server = await startKubevisorServer({ host: '127.0.0.1', port: 0, dataDir: join(dir, 'data'), storage: { backend: 'sqlite' }, pki, podHostAccess: true });
  vc = await server.ensureCluster(CLUSTER, { nodes: 1 });
  port = Number(new URL(server.url).port);
  vc.tokens.push({ authenticateToken: (t) => (t === 'admin-token' ? { username: 'admin', groups: ['system:masters', 'system:authenticated'] } : undefined) });
});

after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a policy refuses a Deployment of more than 5 replicas: 422 Invalid in upstream words, nothing stored', async () => {
  await namespace('deny');
  const remove = await install('max-replicas', {
    failurePolicy: 'Fail', matchConstraints: deploymentRules(), validations: [{ expression: 'object.spec.replicas <= 5' }],
  }, { matchResources: inNs('deny') });
  try {
    const a = await call('POST', '/apis/apps/v1/namespaces/deny/deployments', deployment('big', 10));
    const message = denial('max-replicas', 'failed expression: object.spec.replicas <= 5');
    assert.equal(a.status, 422);
    assert.deepEqual(a.json, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 422, reason: 'Invalid',
      message: `deployments.apps "big" is forbidden: ${message}`,
      details: { name: 'big', group: 'apps', kind: 'deployments', causes: [{ message }] },
    });
    assert.equal((await call('GET', '/apis/apps/v1/namespaces/deny/deployments/big')).status, 404);
    // Within the limit, or in a namespace the binding leaves out: stored.
    await ok('POST', '/apis/apps/v1/namespaces/deny/deployments', deployment('small', 5));
    await ok('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('elsewhere', 10));
    // A dry run is refused the same way.
    assert.equal((await call('POST', '/apis/apps/v1/namespaces/deny/deployments?dryRun=All', deployment('dry', 10))).status, 422);
    // The status controller's mark: the generation seen, type checking done (no warnings here).
    const status = await eventually(async () => {
      const p = await ok('GET', `${AR}/validatingadmissionpolicies/max-replicas`);
      return (p.status as Json | undefined)?.observedGeneration === 1 ? p.status : undefined;
    }, 'the policy status');
    assert.deepEqual(status, { observedGeneration: 1, typeChecking: {} });
  } finally {
    await remove();
    await ok('DELETE', '/apis/apps/v1/namespaces/default/deployments/elsewhere');
  }
  // Gone with its binding.
  await ok('POST', '/apis/apps/v1/namespaces/deny/deployments', deployment('big', 10));
});

test('messageExpression and reason: the message it gives, the reason and its code', async () => {
  await namespace('msg');
  const remove = await install('message', {
    matchConstraints: deploymentRules(),
    validations: [
      { expression: 'object.spec.replicas <= 5', messageExpression: '"replicas " + string(object.spec.replicas) + " exceed 5"', reason: 'Forbidden' },
      // A messageExpression that fails or gives no text falls back to message.
      { expression: 'object.spec.replicas <= 8', message: 'at most 8', messageExpression: 'object.spec.missing' },
    ],
  }, { matchResources: inNs('msg') });
  try {
    const a = await call('POST', '/apis/apps/v1/namespaces/msg/deployments', deployment('big', 6));
    assert.equal(a.status, 403);
    assert.equal(a.json.reason, 'Forbidden');
    assert.equal(a.json.message, `deployments.apps "big" is forbidden: ${denial('message', 'replicas 6 exceed 5')}`);
    // Both fail: the first failure is the answer.
    const b = await call('POST', '/apis/apps/v1/namespaces/msg/deployments', deployment('bigger', 9));
    assert.equal(b.status, 403);
    assert.match(b.json.message as string, /replicas 9 exceed 5$/);
    const policy = await install('fallback', {
      matchConstraints: deploymentRules(), validations: [{ expression: 'object.spec.replicas <= 8', message: 'at most 8', messageExpression: 'object.spec.missing' }],
    }, { matchResources: inNs('msg') });
    try {
      const c = await call('POST', '/apis/apps/v1/namespaces/msg/deployments', deployment('nine', 9));
      // Policies go by name: 'fallback' before 'message'.
      assert.equal(c.status, 422);
      assert.equal(c.json.message, `deployments.apps "nine" is forbidden: ${denial('fallback', 'at most 8')}`);
    } finally {
      await policy();
    }
  } finally {
    await remove();
  }
});

test('a Warn binding: the write is stored, the failure comes back as a Warning header', async () => {
  await namespace('warn');
  const remove = await install('warn-replicas', {
    matchConstraints: deploymentRules(), validations: [{ expression: 'object.spec.replicas <= 5', message: 'more than 5 replicas' }],
  }, { validationActions: ['Warn'], matchResources: inNs('warn') });
  try {
    const a = await call('POST', '/apis/apps/v1/namespaces/warn/deployments', deployment('big', 10));
    assert.equal(a.status, 201, a.body);
    assert.deepEqual(warnings(a), [`299 - "Validation failed for ValidatingAdmissionPolicy 'warn-replicas' with binding 'warn-replicas-binding': more than 5 replicas"`]);
    await ok('GET', '/apis/apps/v1/namespaces/warn/deployments/big');
    // Audit alone: nothing to see (kubevisor keeps no audit log).
    await ok('PATCH', `${AR}/validatingadmissionpolicybindings/warn-replicas-binding`, { spec: { validationActions: ['Audit'] } }, 'application/merge-patch+json');
    const b = await call('POST', '/apis/apps/v1/namespaces/warn/deployments', deployment('bigger', 10));
    assert.equal(b.status, 201, b.body);
    assert.deepEqual(warnings(b), []);
  } finally {
    await remove();
  }
});

test('params from a ConfigMap named by paramRef; parameterNotFoundAction Deny and Allow', async () => {
  await namespace('params');
  const remove = await install('param-limit', {
    paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
    matchConstraints: deploymentRules(),
    validations: [{
      expression: 'object.spec.replicas <= int(params.data.max)',
      messageExpression: '"at most " + params.data.max + " replicas in " + params.metadata.namespace + " (" + params.kind + ")"',
    }],
  }, { matchResources: inNs('params'), paramRef: { name: 'limits', parameterNotFoundAction: 'Deny' } });
  try {
    // No param yet: refused, under failurePolicy Fail (the default).
    const a = await call('POST', '/apis/apps/v1/namespaces/params/deployments', deployment('one', 1));
    assert.equal(a.status, 422);
    assert.equal(a.json.message,
      `deployments.apps "one" is forbidden: ${denial('param-limit', 'failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction')}`);
    // The param in the request's namespace (paramRef.namespace unset, ConfigMaps are namespaced).
    await ok('POST', '/api/v1/namespaces/params/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'limits' }, data: { max: '2' } });
    await ok('POST', '/apis/apps/v1/namespaces/params/deployments', deployment('two', 2));
    const b = await call('POST', '/apis/apps/v1/namespaces/params/deployments', deployment('three', 3));
    assert.equal(b.status, 422);
    assert.equal(b.json.message, `deployments.apps "three" is forbidden: ${denial('param-limit', 'at most 2 replicas in params (ConfigMap)')}`);
    // Allow: no param, no check.
    await ok('DELETE', '/api/v1/namespaces/params/configmaps/limits');
    await ok('PATCH', `${AR}/validatingadmissionpolicybindings/param-limit-binding`, { spec: { paramRef: { parameterNotFoundAction: 'Allow' } } }, 'application/merge-patch+json');
    await ok('POST', '/apis/apps/v1/namespaces/params/deployments', deployment('four', 4));
    // A selector: every param it selects must admit the write.
    await ok('PATCH', `${AR}/validatingadmissionpolicybindings/param-limit-binding`,
      { spec: { paramRef: { name: null, selector: { matchLabels: { limit: 'yes' } }, parameterNotFoundAction: 'Deny' } } }, 'application/merge-patch+json');
    await ok('POST', '/api/v1/namespaces/params/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'l1', labels: { limit: 'yes' } }, data: { max: '9' } });
    await ok('POST', '/api/v1/namespaces/params/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'l2', labels: { limit: 'yes' } }, data: { max: '6' } });
    await ok('POST', '/apis/apps/v1/namespaces/params/deployments', deployment('six', 6));
    const c = await call('POST', '/apis/apps/v1/namespaces/params/deployments', deployment('seven', 7));
    assert.equal(c.status, 422);
    assert.match(c.json.message as string, /at most 6 replicas in params \(ConfigMap\)$/);
  } finally {
    await remove();
  }
});

test('a paramKind the cluster does not serve: the policy\'s configuration error under Fail, nothing under Ignore', async () => {
  await namespace('nokind');
  const remove = await install('no-kind', {
    paramKind: { apiVersion: 'example.com/v1', kind: 'Limits' }, matchConstraints: deploymentRules(), validations: [{ expression: 'true' }],
  }, { matchResources: inNs('nokind'), paramRef: { name: 'x', parameterNotFoundAction: 'Allow' } });
  try {
    const a = await call('POST', '/apis/apps/v1/namespaces/nokind/deployments', deployment('d', 1));
    assert.equal(a.status, 422);
    assert.equal(a.json.message,
      `deployments.apps "d" is forbidden: ValidatingAdmissionPolicy 'no-kind' denied request: failed to configure policy: failed to find resource referenced by paramKind: 'example.com/v1, Kind=Limits'`);
    await ok('PATCH', `${AR}/validatingadmissionpolicies/no-kind`, { spec: { failurePolicy: 'Ignore' } }, 'application/merge-patch+json');
    await ok('POST', '/apis/apps/v1/namespaces/nokind/deployments', deployment('d', 1));
  } finally {
    await remove();
  }
});

test('the binding\'s namespaceSelector: only namespaces with the label', async () => {
  await namespace('prod', { env: 'prod' });
  await namespace('dev', { env: 'dev' });
  const remove = await install('prod-only', {
    matchConstraints: deploymentRules(), validations: [{ expression: 'object.spec.replicas >= 2', message: 'production needs 2 replicas' }],
  }, { matchResources: { namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] } } });
  try {
    const a = await call('POST', '/apis/apps/v1/namespaces/prod/deployments', deployment('single', 1));
    assert.equal(a.status, 422);
    assert.equal(a.json.message, `deployments.apps "single" is forbidden: ${denial('prod-only', 'production needs 2 replicas')}`);
    await ok('POST', '/apis/apps/v1/namespaces/dev/deployments', deployment('single', 1));
    await ok('POST', '/apis/apps/v1/namespaces/prod/deployments', deployment('pair', 2));
  } finally {
    await remove();
  }
});

test('an evaluation error refuses the write under failurePolicy Fail and is passed over under Ignore', async () => {
  await namespace('errors');
  const remove = await install('broken', {
    failurePolicy: 'Fail', matchConstraints: deploymentRules(), validations: [{ expression: 'object.spec.missing > 1' }],
  }, { matchResources: inNs('errors') });
  try {
    const a = await call('POST', '/apis/apps/v1/namespaces/errors/deployments', deployment('d', 1));
    assert.equal(a.status, 422);
    assert.equal(a.json.reason, 'Invalid');
    assert.equal(a.json.message, `deployments.apps "d" is forbidden: ${denial('broken', "expression 'object.spec.missing > 1' resulted in error: no such key: missing")}`);
    await ok('PATCH', `${AR}/validatingadmissionpolicies/broken`, { spec: { failurePolicy: 'Ignore' } }, 'application/merge-patch+json');
    await ok('POST', '/apis/apps/v1/namespaces/errors/deployments', deployment('d', 1));
  } finally {
    await remove();
  }
});

test('UPDATE sees oldObject; scale writes are checked too', async () => {
  await namespace('update');
  const remove = await install('no-scale-down', {
    matchConstraints: deploymentRules(['UPDATE']),
    variables: [{ name: 'before', expression: 'oldObject.spec.replicas' }, { name: 'after', expression: 'object.spec.replicas' }],
    validations: [
      { expression: 'variables.after >= variables.before', messageExpression: '"scaling down from " + string(variables.before) + " is not allowed"' },
      { expression: 'variables.after <= 5', message: 'at most 5 replicas' },
    ],
  }, { matchResources: inNs('update') });
  try {
    await ok('POST', '/apis/apps/v1/namespaces/update/deployments', deployment('web', 3));
    const down = await call('PATCH', '/apis/apps/v1/namespaces/update/deployments/web', { spec: { replicas: 2 } }, 'application/merge-patch+json');
    assert.equal(down.status, 422);
    assert.equal(down.json.message, `deployments.apps "web" is forbidden: ${denial('no-scale-down', 'scaling down from 3 is not allowed')}`);
    await ok('PATCH', '/apis/apps/v1/namespaces/update/deployments/web', { spec: { replicas: 4 } }, 'application/merge-patch+json');
    // The scale subresource (kubectl scale): refused past the limit.
    const scale = await call('PATCH', '/apis/apps/v1/namespaces/update/deployments/web/scale', { spec: { replicas: 10 } }, 'application/merge-patch+json');
    assert.equal(scale.status, 422);
    assert.equal(scale.json.message, `deployments.apps "web" is forbidden: ${denial('no-scale-down', 'at most 5 replicas')}`);
    assert.equal(((await ok('GET', '/apis/apps/v1/namespaces/update/deployments/web')).spec as Json).replicas, 4);
    await ok('PATCH', '/apis/apps/v1/namespaces/update/deployments/web/scale', { spec: { replicas: 5 } }, 'application/merge-patch+json');
    // A delete is no UPDATE: allowed.
    await ok('DELETE', '/apis/apps/v1/namespaces/update/deployments/web');
  } finally {
    await remove();
  }
});

test('matchConditions skip the policy; request, namespaceObject and excludeResourceRules', async () => {
  await namespace('conds', { tier: 'gold' });
  const remove = await install('conds', {
    matchConstraints: {
      resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps', 'secrets'] }],
      excludeResourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['*'], resources: ['secrets'] }],
    },
    matchConditions: [{ name: 'not-exempt', expression: '!has(object.metadata.labels) || !("exempt" in object.metadata.labels)' }],
    validations: [{
      expression: 'request.userInfo.username == "nobody"',
      messageExpression: '"by " + request.userInfo.username + " in a " + namespaceObject.metadata.labels.tier + " namespace: " + request.operation + " " + request.kind.kind',
    }],
  }, { matchResources: inNs('conds') });
  try {
    const a = await call('POST', '/api/v1/namespaces/conds/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } });
    assert.equal(a.status, 422);
    assert.equal(a.json.message, `configmaps "c" is forbidden: ${denial('conds', 'by admin in a gold namespace: CREATE ConfigMap')}`);
    await ok('POST', '/api/v1/namespaces/conds/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'e', labels: { exempt: 'yes' } } });
    await ok('POST', '/api/v1/namespaces/conds/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } });
    // A generated name is the one the error names.
    const g = await call('POST', '/api/v1/namespaces/conds/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } });
    assert.equal(g.status, 422);
    assert.match(g.json.message as string, /^configmaps "gen-[a-z0-9]{5}" is forbidden: /);
  } finally {
    await remove();
  }
});

test('a controller\'s writes are checked: a ReplicaSet\'s pods are refused, and it says so', async () => {
  await namespace('ctrl');
  const remove = await install('no-blocked-pods', {
    matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }] },
    validations: [{ expression: '!has(object.metadata.labels.blocked)', message: 'blocked pods may not run' }],
  }, { matchResources: inNs('ctrl') });
  try {
    const labels = { app: 'rs', blocked: 'yes' };
    await ok('POST', '/apis/apps/v1/namespaces/ctrl/replicasets', {
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs' },
      spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'example/app:1' }] } } },
    });
    const event = await eventually(async () => {
      const list = await ok('GET', '/api/v1/namespaces/ctrl/events');
      return (list.items as Json[]).find((e) => e.reason === 'FailedCreate');
    }, 'a FailedCreate event');
    assert.match(event.message as string,
      /^Error creating: pods "rs-[a-z0-9]{5}" is forbidden: ValidatingAdmissionPolicy 'no-blocked-pods' with binding 'no-blocked-pods-binding' denied request: blocked pods may not run$/);
    assert.deepEqual((await ok('GET', '/api/v1/namespaces/ctrl/pods')).items, []);
  } finally {
    await remove();
  }
});

test('the admission configuration itself is exempt; a policy without a binding does nothing', async () => {
  await namespace('exempt');
  await ok('POST', `${AR}/validatingadmissionpolicies`, {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'deny-all' },
    spec: {
      matchConstraints: { resourceRules: [{ apiGroups: ['', 'admissionregistration.k8s.io'], apiVersions: ['*'], operations: ['*'], resources: ['configmaps', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings'] }] },
      validations: [{ expression: 'false' }],
    },
  });
  try {
    // Unbound: everything goes through.
    await ok('POST', '/api/v1/namespaces/exempt/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'free' } });
    await ok('POST', `${AR}/validatingadmissionpolicybindings`, {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'deny-all-binding' },
      spec: { policyName: 'deny-all', validationActions: ['Deny'], matchResources: inNs('exempt') },
    });
    assert.equal((await call('POST', '/api/v1/namespaces/exempt/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bound' } })).status, 422);
    // Policies and bindings can still be changed and removed.
    await ok('PATCH', `${AR}/validatingadmissionpolicies/deny-all`, { metadata: { labels: { touched: 'yes' } } }, 'application/merge-patch+json');
  } finally {
    await ok('DELETE', `${AR}/validatingadmissionpolicybindings/deny-all-binding`);
    await ok('DELETE', `${AR}/validatingadmissionpolicies/deny-all`);
  }
});

test('policies and bindings: upstream defaults, and the validation of bindings', async () => {
  const created = await ok('POST', `${AR}/validatingadmissionpolicies`, {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'defaults' },
    spec: { matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'] }] }, validations: [{ expression: 'true' }] },
  });
  try {
    assert.deepEqual(created.spec, {
      failurePolicy: 'Fail',
      matchConstraints: {
        matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {},
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['configmaps'], scope: '*' }],
      },
      validations: [{ expression: 'true' }],
    });
    const bad = await call('POST', `${AR}/validatingadmissionpolicybindings`, {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'bad' },
      spec: { policyName: 'defaults', validationActions: ['Deny', 'Warn'], paramRef: { name: 'x' } },
    });
    assert.equal(bad.status, 422);
    assert.equal(bad.json.message, 'ValidatingAdmissionPolicyBinding.admissionregistration.k8s.io "bad" is invalid: [spec.paramRef.parameterNotFoundAction: Required value, ' +
      'spec.validationActions: Invalid value: ["Deny","Warn"]: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)]');
    const none = await call('POST', `${AR}/validatingadmissionpolicies`, {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'empty' }, spec: {},
    });
    assert.equal(none.status, 422);
    assert.equal(none.json.message, 'ValidatingAdmissionPolicy.admissionregistration.k8s.io "empty" is invalid: [spec.matchConstraints: Required value, ' +
      'spec.validations: Required value: validations or auditAnnotations must contain at least one item, spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item]');
  } finally {
    await ok('DELETE', `${AR}/validatingadmissionpolicies/defaults`);
  }
});

/** An exec, attach or port-forward through the API server, upgraded as kubectl 1.30+ asks (WebSocket). */
const connect = (path: string): Promise<Refused | Connected> => upgrade({ port, ca: pki.caCert, token: 'admin-token', path: API + path });

function refused(r: Refused | Connected): Refused {
  assert.notEqual(r.status, 101, 'the connection was upgraded');
  return r as Refused;
}

test('CONNECT: a policy refuses an exec whose command holds sh (422 before the upgrade); other commands run; attach and port-forward', async () => {
  await namespace('connect');
  await ok('POST', '/api/v1/namespaces/connect/pods', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tools', annotations: { 'kubevisor.dev/exec-command': '/bin/sh' } },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
  await eventually(async () => ((await ok('GET', '/api/v1/namespaces/connect/pods/tools')).status as Json | undefined)?.phase === 'Running', 'the pod running');
  const removeExec = await install('no-shell', {
    failurePolicy: 'Fail',
    matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CONNECT'], resources: ['pods/exec'] }] },
    validations: [
      // What a CONNECT shows a policy: its options as the object, no old object, no options, no dry run.
      { expression: "request.operation == 'CONNECT' && request.kind.kind == 'PodExecOptions' && request.subResource == 'exec' && " +
        "request.name == 'tools' && object.kind == 'PodExecOptions' && oldObject == null && request.options == null && !request.dryRun",
        message: 'not seen as upstream shows a CONNECT' },
      { expression: "!('sh' in object.command)", messageExpression: "'no shells in ' + request.namespace + '/' + request.name" },
    ],
  }, { matchResources: inNs('connect') });
  const removeOthers = await install('no-tty', {
    failurePolicy: 'Fail',
    matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['*'], resources: ['pods/attach', 'pods/portforward'] }] },
    validations: [{
      expression: "request.subResource == 'portforward' ? !(has(object.ports) && 22 in object.ports) : !has(object.tty)",
      messageExpression: "object.kind + ' refused'", reason: 'Forbidden',
    }],
  }, { matchResources: inNs('connect') });
  try {
    const a = refused(await connect('/api/v1/namespaces/connect/pods/tools/exec?command=sh&command=-c&command=echo%20hi&container=c&stdout=true&stderr=true'));
    const message = denial('no-shell', 'no shells in connect/tools');
    assert.equal(a.status, 422);
    assert.deepEqual(a.json, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 422, reason: 'Invalid',
      message: `pods "tools" is forbidden: ${message}`,
      details: { name: 'tools', kind: 'pods', causes: [{ message }] },
    });
    const c = await connect('/api/v1/namespaces/connect/pods/tools/exec?command=echo&command=hi&container=c&stdout=true&stderr=true');
    assert.equal(c.status, 101, (c as Refused).body);
    assert.equal(await (c as Connected).stdout, 'hi\n');

    const b = refused(await connect('/api/v1/namespaces/connect/pods/tools/attach?container=c&stdin=true&stdout=true&tty=true'));
    assert.equal(b.status, 403);
    assert.equal(b.json.reason, 'Forbidden');
    assert.equal(b.json.message, `pods "tools" is forbidden: ${denial('no-tty', 'PodAttachOptions refused')}`);
    const pf = refused(await connect('/api/v1/namespaces/connect/pods/tools/portforward?ports=8080,22'));
    assert.equal(pf.status, 403);
    assert.equal(pf.json.message, `pods "tools" is forbidden: ${denial('no-tty', 'PodPortForwardOptions refused')}`);
    // Another port: admitted (what the pod does with it is the session's business).
    const other = await connect('/api/v1/namespaces/connect/pods/tools/portforward?ports=8080');
    assert.equal(other.status, 101, (other as Refused).body);
    (other as Connected).close();

    const dry = refused(await connect('/api/v1/namespaces/connect/pods/tools/exec?command=sh&stdout=true&dryRun=All'));
    assert.deepEqual(dry.json, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 400, reason: 'BadRequest', message: 'dryRun is not supported' });
  } finally {
    await removeOthers();
    await removeExec();
  }
  const after = await connect('/api/v1/namespaces/connect/pods/tools/exec?command=sh&command=-c&command=echo%20hi&container=c&stdout=true');
  assert.equal(after.status, 101, (after as Refused).body);
  assert.equal(await (after as Connected).stdout, 'hi\n');
});
