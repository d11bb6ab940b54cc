import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject, KubeObject, ManagedFieldsEntry } from '../types.ts';
import { ApiError } from '../errors.ts';
import { schemaForKind } from '../schema/index.ts';
import {
  FieldSet, LAST_APPLIED_ANNOTATION, defaultManager, managerName, parentManagedFieldsFromScale, recordUpdate, resetFields,
  revertNoopTimestamps, scaleManagedFields, serverSideApply, specResetFields, statusResetFields, withManagedFields,
} from './index.ts';
import type { ServerSideApplyArgs } from './index.ts';

const depSchema = schemaForKind('apps', 'v1', 'Deployment')!;
const cmSchema = schemaForKind('', 'v1', 'ConfigMap')!;
const scaleSchema = schemaForKind('autoscaling', 'v1', 'Scale')!;
const T = (m: number) => `2024-01-01T00:${String(m).padStart(2, '0')}:00Z`;

/** What the store adds; these fields are never owned. */
function stored<T extends KubeObject>(o: T): T {
  return { ...o, metadata: { uid: 'uid-1', resourceVersion: '1', creationTimestamp: T(0), ...o.metadata } } as T;
}

const mfOf = (o: KubeObject): ManagedFieldsEntry[] | undefined => o.metadata.managedFields;
const fv = (e: ManagedFieldsEntry | undefined) => JSON.stringify(e?.fieldsV1);
/** Entries without their fields: [manager, operation, apiVersion, time, subresource]. */
const heads = (o: KubeObject) => (mfOf(o) ?? []).map((e) => [e.manager, e.operation, e.apiVersion, e.time, e.subresource]);
const entry = (o: KubeObject, manager: string, operation = 'Apply') => mfOf(o)?.find((e) => e.manager === manager && e.operation === operation);

function depUpdate(live: KubeObject | undefined, object: KubeObject, manager: string, now: string, extra: Partial<Parameters<typeof recordUpdate>[0]> = {}): KubeObject {
  const mf = recordUpdate({ live, object, manager, apiVersion: 'apps/v1', schema: depSchema, resetFields: statusResetFields, now, ...extra });
  return stored(withManagedFields(object, mf));
}

function cmUpdate(live: KubeObject | undefined, object: KubeObject, manager: string, now: string): KubeObject {
  return stored(withManagedFields(object, recordUpdate({ live, object, manager, apiVersion: 'v1', schema: cmSchema, now })));
}

function depApply(live: KubeObject | undefined, applied: JsonObject, manager: string, now: string, extra: Partial<ServerSideApplyArgs> = {}) {
  const r = serverSideApply({
    live, applied, manager, group: 'apps', version: 'v1', kind: 'Deployment', schema: depSchema, resetFields: statusResetFields,
    now, name: 'web', namespace: 'default', ...extra,
  });
  return { ...r, object: stored(r.object) };
}

function cmApply(live: KubeObject | undefined, applied: JsonObject, manager: string, now: string, force = false) {
  const r = serverSideApply({ live, applied, manager, force, group: '', version: 'v1', kind: 'ConfigMap', schema: cmSchema, now, name: 'cm', namespace: 'default' });
  return { ...r, object: stored(r.object) };
}

const cm = (data: Record<string, string> | undefined, extra: JsonObject = {}): JsonObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default', ...extra }, ...(data ? { data } : {}) });

function deploy(spec: JsonObject, meta: JsonObject = {}): JsonObject {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', ...meta }, spec };
}

/** A Deployment as `kubectl create deployment web --image=nginx` stores it (defaulted). */
const created = {
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: {
    replicas: 1, selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'nginx', image: 'nginx', imagePullPolicy: 'Always', resources: {}, terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File' }],
        restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', securityContext: {}, schedulerName: 'default-scheduler',
      },
    },
  },
  status: {},
} as KubeObject;

function expectApiError(fn: () => unknown, code: number, message: string, reason?: string): ApiError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ApiError, `expected an ApiError, got ${String(caught)}`);
  assert.equal(caught.message, message);
  assert.equal(caught.code, code);
  if (reason !== undefined) assert.equal(caught.toStatus().reason, reason || undefined);
  return caught;
}

// ---- ordinary writes ----------------------------------------------------------------------

test('create records every field under the manager; "." only where Go\'s empty object had nothing', () => {
  // The brief's example: a Pod, whose empty object has spec {} and containers null.
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } };
  const mf = recordUpdate({ live: undefined, object: pod, manager: 'kubectl-run', apiVersion: 'v1', schema: schemaForKind('', 'v1', 'Pod')!, resetFields: statusResetFields, now: T(0) });
  assert.deepEqual(mf, [{
    manager: 'kubectl-run', operation: 'Update', apiVersion: 'v1', time: T(0), fieldsType: 'FieldsV1',
    fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } },
  }]);
  assert.equal(fv(mf![0]), '{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"web\\"}":{".":{},"f:image":{},"f:name":{}}}}}');

  // A defaulted Deployment: strategy and template are value structs (no "."), rollingUpdate a pointer.
  const d = depUpdate(undefined, created, 'kubectl-create', T(0));
  assert.deepEqual(heads(d), [['kubectl-create', 'Update', 'apps/v1', T(0), undefined]]);
  assert.equal(fv(mfOf(d)![0]), JSON.stringify({
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': {
      'f:progressDeadlineSeconds': {}, 'f:replicas': {}, 'f:revisionHistoryLimit': {}, 'f:selector': {},
      'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} }, 'f:type': {} },
      'f:template': {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:imagePullPolicy': {}, 'f:name': {}, 'f:resources': {}, 'f:terminationMessagePath': {}, 'f:terminationMessagePolicy': {} } },
          'f:dnsPolicy': {}, 'f:restartPolicy': {}, 'f:schedulerName': {}, 'f:securityContext': {}, 'f:terminationGracePeriodSeconds': {},
        },
      },
    },
  }));
  // Nobody owns apiVersion, kind, metadata.name/namespace/uid/..., nor status (a reset field).
  assert.ok(!fv(mfOf(d)![0]).includes('f:name":{},"f:namespace') && !fv(mfOf(d)![0]).includes('f:status'));
});

test('an update moves changed fields to its manager; only that entry\'s time changes; removal alone does not touch time', () => {
  const d0 = depUpdate(undefined, created, 'kubectl-create', T(0));
  // A controller scales: it takes spec.replicas from kubectl-create.
  const d1 = depUpdate(d0, { ...d0, spec: { ...created['spec'] as JsonObject, replicas: 3 } }, 'hpa', T(1));
  assert.deepEqual(heads(d1), [['kubectl-create', 'Update', 'apps/v1', T(0), undefined], ['hpa', 'Update', 'apps/v1', T(1), undefined]]);
  assert.equal(fv(entry(d1, 'hpa', 'Update')), '{"f:spec":{"f:replicas":{}}}');
  assert.ok(!fv(entry(d1, 'kubectl-create', 'Update')).includes('f:replicas'));

  // A write that changes nothing records nothing.
  const d2 = depUpdate(d1, { ...d1 }, 'noop', T(2));
  assert.deepEqual(mfOf(d2), mfOf(d1));

  // An editor adds an annotation; the controller then removes it: the editor's entry empties
  // and goes, the controller gains nothing (and keeps its time).
  const d3 = depUpdate(d2, { ...d2, metadata: { ...d2.metadata, annotations: { note: 'x' } } }, 'editor', T(3));
  assert.equal(fv(entry(d3, 'editor', 'Update')), '{"f:metadata":{"f:annotations":{".":{},"f:note":{}}}}');
  const { annotations: _dropped, ...metaWithout } = d3.metadata;
  const d4 = depUpdate(d3, { ...d3, metadata: metaWithout }, 'hpa', T(4));
  assert.deepEqual(heads(d4), [['kubectl-create', 'Update', 'apps/v1', T(0), undefined], ['hpa', 'Update', 'apps/v1', T(1), undefined]]);
});

test('status is a reset field of the main resource; a /status write owns only status and ignores sent managedFields', () => {
  const d0 = depUpdate(undefined, created, 'kubectl-create', T(0));
  const d1 = depUpdate(d0, { ...d0, spec: { ...d0['spec'] as JsonObject, paused: true }, status: { replicas: 9 } }, 'kubectl-edit', T(1));
  assert.equal(fv(entry(d1, 'kubectl-edit', 'Update')), '{"f:spec":{"f:paused":{}}}');

  const bogus = [{ manager: 'x', operation: 'Update' as const, apiVersion: 'apps/v1', fieldsType: 'FieldsV1' as const, fieldsV1: { 'f:spec': {} } }];
  const next = { ...d1, metadata: { ...d1.metadata, managedFields: bogus }, status: { replicas: 1, readyReplicas: 1 } };
  const d2 = depUpdate(d1, next, 'deployment-controller', T(2), { subresource: 'status', resetFields: specResetFields });
  assert.deepEqual(heads(d2), [
    ['kubectl-create', 'Update', 'apps/v1', T(0), undefined], ['kubectl-edit', 'Update', 'apps/v1', T(1), undefined],
    ['deployment-controller', 'Update', 'apps/v1', T(2), 'status'],
  ]);
  assert.equal(fv(entry(d2, 'deployment-controller', 'Update')), '{"f:status":{"f:readyReplicas":{},"f:replicas":{}}}');
});

test('managedFields sent with a write replace the recorded ones; [] stops tracking until the next apply', () => {
  const c0 = cmUpdate(undefined, cm({ a: '1' }) as KubeObject, 'kubectl-create', T(0));
  const replaced: ManagedFieldsEntry[] = [{ manager: 'someone', operation: 'Apply', apiVersion: 'v1', time: T(5), fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } }];
  const c1 = cmUpdate(c0, { ...c0, metadata: { ...c0.metadata, managedFields: replaced } }, 'kubectl', T(1));
  assert.deepEqual(mfOf(c1), replaced);

  const c2 = cmUpdate(c1, { ...c1, metadata: { ...c1.metadata, managedFields: [] } }, 'kubectl-edit', T(2));
  assert.equal(mfOf(c2), undefined);
  // Still untracked after further updates.
  const c3 = cmUpdate(c2, { ...c2, data: { a: '2' } }, 'kubectl-edit', T(3));
  assert.equal(mfOf(c3), undefined);
  // The first apply gives the existing fields to before-first-apply.
  const r = cmApply(c3, cm({ b: '1' }), 'kubectl', T(4));
  assert.deepEqual(heads(r.object), [['kubectl', 'Apply', 'v1', T(4), undefined], ['before-first-apply', 'Update', 'v1', T(4), undefined]]);
  assert.equal(fv(entry(r.object, 'before-first-apply', 'Update')), '{"f:data":{".":{},"f:a":{}}}');
  assert.equal(fv(entry(r.object, 'kubectl')), '{"f:data":{"f:b":{}}}');
  assert.deepEqual(r.object['data'], { a: '2', b: '1' });
});

test('the manager name comes from the User-Agent when none is given', () => {
  assert.equal(defaultManager('kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07'), 'kubectl');
  assert.equal(defaultManager('kube-controller-manager/v1.36.0 (linux/amd64) kubernetes/abc/system:serviceaccount:kube-system:x'), 'kube-controller-manager');
  assert.equal(defaultManager('Go-http-client/1.1'), 'Go-http-client');
  assert.equal(defaultManager('my controller\u0007\u00a0x'), 'my controllerx');
  assert.equal(defaultManager('x'.repeat(200)), 'x'.repeat(128));
  assert.equal(defaultManager('é'.repeat(100)), 'é'.repeat(64));
  assert.equal(managerName('explicit', 'kubectl/v1'), 'explicit');
  assert.equal(managerName(undefined, undefined), '');
  // An empty manager is recorded as "unknown".
  const mf = recordUpdate({ live: undefined, object: cm({ a: '1' }) as KubeObject, manager: '', apiVersion: 'v1', schema: cmSchema, now: T(0) });
  assert.equal(mf![0]!.manager, 'unknown');
});

test('more than 10 update entries: the oldest merge into ancient-changes', () => {
  let o = cmUpdate(undefined, cm({}) as KubeObject, 'm0', T(0));
  o = cmUpdate(undefined, cm({ k0: 'v' }) as KubeObject, 'm0', T(0));
  for (let i = 1; i <= 10; i++) o = cmUpdate(o, { ...o, data: { ...o['data'] as JsonObject, [`k${i}`]: 'v' } }, `m${i}`, T(i));
  const names = (mfOf(o) ?? []).map((e) => e.manager);
  assert.deepEqual(names, ['ancient-changes', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9', 'm10']);
  assert.equal(entry(o, 'ancient-changes', 'Update')!.time, T(1));
  assert.equal(fv(entry(o, 'ancient-changes', 'Update')), '{"f:data":{".":{},"f:k0":{},"f:k1":{}}}');
});

// ---- server-side apply ----------------------------------------------------------------------

test('apply creates the object and records an Apply entry (no apiVersion in its identity)', () => {
  const r = depApply(undefined, deploy({ replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] } } }, { labels: { app: 'web' } }), 'kubectl', T(0));
  assert.equal(r.created, true);
  assert.deepEqual(heads(r.object), [['kubectl', 'Apply', 'apps/v1', T(0), undefined]]);
  assert.equal(fv(mfOf(r.object)![0]), JSON.stringify({
    'f:metadata': { 'f:labels': { 'f:app': {} } },
    'f:spec': {
      'f:replicas': {}, 'f:selector': {},
      'f:template': {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } } } } },
      },
    },
  }));
  assert.deepEqual(r.object['spec'], { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] } } });
});

test('applying the same configuration again is a no-op: same object, same managedFields, same time', () => {
  const config = cm({ a: '1' }, { labels: { x: 'y' } });
  const r1 = cmApply(undefined, config, 'mgr', T(0));
  const r2 = cmApply(r1.object, config, 'mgr', T(5));
  assert.equal(r2.changed, false);
  assert.deepEqual(r2.object, r1.object);
  assert.deepEqual(heads(r2.object), [['mgr', 'Apply', 'v1', T(0), undefined]]);
});

test('a conflict with an updater fails with upstream\'s 409; force takes the field over', () => {
  const spec = { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } };
  const a = depApply(undefined, deploy(spec), 'kubectl', T(0)).object;
  const scaled = depUpdate(a, { ...a, spec: { ...a['spec'] as JsonObject, replicas: 3 } }, 'hpa', T(1));
  assert.equal(fv(entry(scaled, 'hpa', 'Update')), '{"f:spec":{"f:replicas":{}}}');

  const err = expectApiError(() => depApply(scaled, deploy({ ...spec, replicas: 2 }), 'kubectl', T(2)), 409,
    'Apply failed with 1 conflict: conflict with "hpa" using apps/v1: .spec.replicas', 'Conflict');
  assert.deepEqual(err.toStatus(), {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 409, reason: 'Conflict',
    message: 'Apply failed with 1 conflict: conflict with "hpa" using apps/v1: .spec.replicas',
    details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "hpa" using apps/v1', field: '.spec.replicas' }] },
  });

  // Applying the value the field already has is no conflict: both own it.
  const shared = depApply(scaled, deploy({ ...spec, replicas: 3 }), 'kubectl', T(2)).object;
  assert.ok(fv(entry(shared, 'kubectl')).includes('"f:replicas"') && fv(entry(shared, 'hpa', 'Update')).includes('"f:replicas"'));

  // force: the applier takes the field; the updater's entry empties and goes.
  const forced = depApply(scaled, deploy({ ...spec, replicas: 2 }), 'kubectl', T(3), { force: true });
  assert.equal((forced.object['spec'] as JsonObject)['replicas'], 2);
  assert.deepEqual(heads(forced.object), [['kubectl', 'Apply', 'apps/v1', T(3), undefined]]);
});

test('conflicts with several fields and managers: plural message grouped by manager, one cause per field', () => {
  const spec = { replicas: 1, minReadySeconds: 0, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } };
  let o = depApply(undefined, deploy(spec), 'kubectl', T(0)).object;
  o = depUpdate(o, { ...o, spec: { ...o['spec'] as JsonObject, replicas: 3 } }, 'hpa', T(1));
  const tmpl = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:2' }] } };
  o = depUpdate(o, { ...o, spec: { ...o['spec'] as JsonObject, minReadySeconds: 5, template: tmpl } }, 'editor', T(2));
  const err = expectApiError(
    () => depApply(o, deploy({ ...spec, replicas: 2, minReadySeconds: 1, template: { ...spec.template, spec: { containers: [{ name: 'web', image: 'nginx:3' }] } } }), 'kubectl', T(3)),
    409,
    'Apply failed with 3 conflicts: conflicts with "editor" using apps/v1:\n- .spec.minReadySeconds\n- .spec.template.spec.containers[name="web"].image\nconflicts with "hpa" using apps/v1:\n- .spec.replicas',
  );
  assert.deepEqual(err.details?.causes, [
    { reason: 'FieldManagerConflict', message: 'conflict with "editor" using apps/v1', field: '.spec.minReadySeconds' },
    { reason: 'FieldManagerConflict', message: 'conflict with "editor" using apps/v1', field: '.spec.template.spec.containers[name="web"].image' },
    { reason: 'FieldManagerConflict', message: 'conflict with "hpa" using apps/v1', field: '.spec.replicas' },
  ]);
});

test('an Update entry and an Apply entry of one manager are separate (and conflict)', () => {
  const c0 = cmApply(undefined, cm({ a: '1' }), 'kubectl', T(0)).object;
  const c1 = cmUpdate(c0, { ...c0, data: { a: '2' } }, 'kubectl', T(1));
  assert.deepEqual(heads(c1), [['kubectl', 'Update', 'v1', T(1), undefined]]);
  const c2 = cmApply(c1, cm({ a: '3', b: '1' }), 'kubectl', T(2), true);
  assert.deepEqual(heads(c2.object), [['kubectl', 'Apply', 'v1', T(2), undefined]]);
  const c3 = cmUpdate(c2.object, { ...c2.object, data: { a: '4', b: '1' } }, 'kubectl', T(3));
  expectApiError(() => cmApply(c3, cm({ a: '5', b: '1' }), 'kubectl', T(4)), 409, 'Apply failed with 1 conflict: conflict with "kubectl" using v1: .data.a');
  // The conflict with an applier names it without a version.
  expectApiError(() => cmApply(c3, cm({ b: '2' }), 'other', T(4)), 409, 'Apply failed with 1 conflict: conflict with "kubectl": .data.b');
});

test('two appliers share a field; the one dropping it keeps the value while the other owns it; the last one removes it', () => {
  const r1 = cmApply(undefined, cm({ a: '1', b: '2' }), 'A', T(0));
  const r2 = cmApply(r1.object, cm({ a: '1' }), 'B', T(1));
  assert.equal(r2.changed, true); // managedFields changed, the object did not
  // B applied nothing new: upstream leaves its entry without time (kubernetes#127938).
  assert.deepEqual(heads(r2.object), [['B', 'Apply', 'v1', undefined, undefined], ['A', 'Apply', 'v1', T(0), undefined]]);
  assert.equal(fv(entry(r2.object, 'B')), '{"f:data":{"f:a":{}}}');

  const r3 = cmApply(r2.object, cm({ b: '2' }), 'A', T(2));
  assert.deepEqual(r3.object['data'], { a: '1', b: '2' });
  assert.equal(fv(entry(r3.object, 'A')), '{"f:data":{"f:b":{}}}');

  const r4 = cmApply(r3.object, cm(undefined), 'B', T(3));
  assert.deepEqual(r4.object['data'], { b: '2' });
  assert.deepEqual(heads(r4.object), [['A', 'Apply', 'v1', T(0), undefined]]);
  // An empty map in a configuration is itself a field: `data: {}` owns data.
  assert.equal(fv(entry(cmApply(r4.object, cm({}), 'B', T(4)).object, 'B')), '{"f:data":{}}');
});

test('a field dropped from the applied configuration stays when an updater co-owns it', () => {
  const c0 = cmUpdate(undefined, cm({ a: '1', b: '2' }) as KubeObject, 'kubectl-create', T(0));
  const c1 = cmApply(c0, cm({ a: '1', b: '2' }), 'A', T(1)).object;
  assert.equal(fv(entry(c1, 'A')), '{"f:data":{"f:a":{},"f:b":{}}}');
  const c2 = cmApply(c1, cm({ a: '1' }), 'A', T(2)).object;
  assert.deepEqual(c2['data'], { a: '1', b: '2' });
  assert.equal(fv(entry(c2, 'A')), '{"f:data":{"f:a":{}}}');
  assert.equal(fv(entry(c2, 'kubectl-create', 'Update')), '{"f:data":{".":{},"f:a":{},"f:b":{}}}');
});

test('associative lists: containers merge by name, ports by containerPort+protocol; a dropped item goes', () => {
  const base = { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] } } };
  const a = depApply(undefined, deploy(base), 'A', T(0)).object;
  const b = depApply(a, deploy({ template: { spec: { containers: [{ name: 'web', ports: [{ containerPort: 80, protocol: 'UDP' }] }, { name: 'side', image: 'busybox' }] } } }), 'B', T(1)).object;
  const tspec = (o: KubeObject) => ((o['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject;
  assert.deepEqual(tspec(b)['containers'], [
    { name: 'web', image: 'nginx', ports: [{ containerPort: 80 }, { containerPort: 80, protocol: 'UDP' }] },
    { name: 'side', image: 'busybox' },
  ]);
  assert.equal(fv(entry(b, 'B')), JSON.stringify({
    'f:spec': { 'f:template': { 'f:spec': { 'f:containers': {
      'k:{"name":"side"}': { '.': {}, 'f:image': {}, 'f:name': {} },
      'k:{"name":"web"}': { '.': {}, 'f:name': {}, 'f:ports': { 'k:{"containerPort":80,"protocol":"UDP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } } },
    } } } },
  }));
  // B stops applying the sidecar: it goes (nobody else owns it); the web container stays (A owns it).
  const c = depApply(b, deploy({ template: { spec: { containers: [{ name: 'web', ports: [{ containerPort: 80, protocol: 'UDP' }] }] } } }), 'B', T(2)).object;
  assert.deepEqual(tspec(c)['containers'], [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }, { containerPort: 80, protocol: 'UDP' }] }]);
});

test('sets (finalizers) union across appliers; atomic lists (args) and atomic maps (selector) conflict as a whole', () => {
  const a = cmApply(undefined, cm(undefined, { finalizers: ['example.com/a'] }), 'A', T(0)).object;
  const b = cmApply(a, cm(undefined, { finalizers: ['example.com/b'] }), 'B', T(1)).object;
  assert.deepEqual(b.metadata.finalizers, ['example.com/a', 'example.com/b']);
  assert.equal(fv(entry(b, 'B')), '{"f:metadata":{"f:finalizers":{"v:\\"example.com/b\\"":{}}}}');
  const c = cmApply(b, cm(undefined), 'A', T(2)).object;
  assert.deepEqual(c.metadata.finalizers, ['example.com/b']);

  const spec = { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx', args: ['a', 'b'] }] } } };
  const d = depApply(undefined, deploy(spec), 'A', T(0)).object;
  const other = { template: { spec: { containers: [{ name: 'web', args: ['c'] }] } } };
  expectApiError(() => depApply(d, deploy(other), 'B', T(1)), 409, 'Apply failed with 1 conflict: conflict with "A": .spec.template.spec.containers[name="web"].args');
  const e = depApply(d, deploy(other), 'B', T(1), { force: true }).object;
  assert.deepEqual((((e['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject)['containers'], [{ name: 'web', image: 'nginx', args: ['c'] }]);
  assert.ok(!fv(entry(e, 'A')).includes('f:args'));
  // Labels are granular; the selector (LabelSelector) is atomic.
  const f = depApply(e, deploy({}, { labels: { tier: 'fe' } }), 'C', T(2)).object;
  expectApiError(() => depApply(f, deploy({ selector: { matchLabels: { app: 'web', tier: 'fe' } } }), 'C', T(3)), 409, 'Apply failed with 1 conflict: conflict with "A": .spec.selector');
  const g = depApply(f, deploy({ selector: { matchLabels: { tier: 'fe' } } }, { labels: { tier: 'fe' } }), 'C', T(3), { force: true }).object;
  assert.deepEqual((g['spec'] as JsonObject)['selector'], { matchLabels: { tier: 'fe' } });
  assert.equal(fv(entry(g, 'C')), '{"f:metadata":{"f:labels":{"f:tier":{}}},"f:spec":{"f:selector":{}}}');
});

test('apply does not own reset fields (status); an apply to /status owns only status and names its subresource', () => {
  const spec = { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } };
  const a = depApply(undefined, { ...deploy(spec), status: { replicas: 4 } }, 'A', T(0)).object;
  assert.ok(!fv(entry(a, 'A')).includes('f:status'));
  const s = depUpdate(a, { ...a, status: { replicas: 1 } }, 'ctrl', T(1), { subresource: 'status', resetFields: specResetFields });
  expectApiError(() => depApply(s, { ...deploy({}), status: { replicas: 2 } }, 'other', T(2), { subresource: 'status', resetFields: specResetFields }), 409,
    'Apply failed with 1 conflict: conflict with "ctrl" with subresource "status" using apps/v1: .status.replicas');
  const r = depApply(s, { ...deploy({ replicas: 7 }), status: { replicas: 2 } }, 'other', T(2), { subresource: 'status', resetFields: specResetFields, force: true });
  assert.deepEqual(entry(r.object, 'other'), { manager: 'other', operation: 'Apply', apiVersion: 'apps/v1', time: T(2), fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:replicas': {} } }, subresource: 'status' });
});

test('apply rejects configurations as upstream does', () => {
  const ok = deploy({ replicas: 1 });
  expectApiError(() => depApply(undefined, { metadata: { name: 'web' } }, 'm', T(0)), 400, 'invalid object type: /, Kind=', 'BadRequest');
  expectApiError(() => depApply(undefined, { ...ok, kind: 'StatefulSet' }, 'm', T(0)), 400, 'invalid object type: apps/v1, Kind=StatefulSet');
  expectApiError(() => depApply(undefined, { ...ok, apiVersion: 'v1' }, 'm', T(0)), 400, 'invalid object type: /v1, Kind=Deployment');
  expectApiError(() => depApply(undefined, { ...ok, metadata: { name: 'web', managedFields: [] } }, 'm', T(0)), 400, 'metadata.managedFields must be nil');
  expectApiError(() => depApply(undefined, deploy({ foo: 1 }), 'm', T(0)), 500,
    'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.foo: field not declared in schema', '');
  expectApiError(() => depApply(undefined, deploy({ template: { spec: { containers: [{ name: 'a' }, { name: 'a' }] } } }), 'm', T(0)), 500,
    'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="a"]');
  expectApiError(() => depApply(undefined, { ...ok, metadata: { name: 'other' } }, 'm', T(0)), 400, 'the name of the object (other) does not match the name on the URL (web)');
  expectApiError(() => depApply(undefined, { ...ok, metadata: { name: 'web', namespace: 'kube-system' } }, 'm', T(0)), 400,
    'the namespace of the provided object does not match the namespace sent on the request');
  expectApiError(() => depApply(undefined, { ...ok, metadata: { name: 'web', uid: 'u' } }, 'm', T(0), { resource: { group: 'apps', resource: 'deployments' } }), 409,
    'Operation cannot be fulfilled on deployments.apps "web": uid mismatch: the provided object specified uid u, and no existing object was found');
  // The namespace comes from the request when the configuration has none.
  const r = depApply(undefined, { ...ok, metadata: { name: 'web' } }, 'm', T(0));
  assert.equal(r.object.metadata.namespace, 'default');
});

// ---- client-side apply → server-side apply ------------------------------------------------

/** kubectl's csaupgrade: fold the client-side-apply Update entry into the kubectl Apply entry. */
function csaUpgrade(mf: ManagedFieldsEntry[]): ManagedFieldsEntry[] {
  const csa = mf.find((e) => e.manager === 'kubectl-client-side-apply' && e.operation === 'Update')!;
  const ssa = mf.find((e) => e.manager === 'kubectl' && e.operation === 'Apply')!;
  const union = FieldSet.fromFieldsV1(ssa.fieldsV1).union(FieldSet.fromFieldsV1(csa.fieldsV1));
  return mf.filter((e) => e !== csa).map((e) => (e === ssa ? { ...e, fieldsV1: union.toFieldsV1() } : e));
}

test('kubectl\'s migration from client-side apply ends with kubectl owning its fields and no conflict', () => {
  const v1 = cm({ a: '1', b: '2' });
  const la1 = `${JSON.stringify({ apiVersion: 'v1', data: { a: '1', b: '2' }, kind: 'ConfigMap', metadata: { annotations: {}, name: 'cm', namespace: 'default' } })}\n`;
  // kubectl apply (client-side): POST with the annotation, fieldManager=kubectl-client-side-apply.
  const c0 = cmUpdate(undefined, { ...v1, metadata: { ...v1['metadata'] as JsonObject, annotations: { [LAST_APPLIED_ANNOTATION]: la1 } } } as KubeObject, 'kubectl-client-side-apply', T(0));
  assert.equal(fv(entry(c0, 'kubectl-client-side-apply', 'Update')),
    '{"f:data":{".":{},"f:a":{},"f:b":{}},"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}}}');

  // The manifest changes b and the user switches to --server-side.
  const v2 = cm({ a: '1', b: '3' });
  // 1) apply: data.b is client-side applied and unchanged since, so kubectl may take it.
  const s1 = cmApply(c0, v2, 'kubectl', T(1)).object;
  assert.deepEqual(s1['data'], { a: '1', b: '3' });
  const la2 = '{"apiVersion":"v1","data":{"a":"1","b":"3"},"kind":"ConfigMap","metadata":{"name":"cm","namespace":"default"}}\n';
  assert.equal(s1.metadata.annotations?.[LAST_APPLIED_ANNOTATION], la2);
  assert.equal(fv(entry(s1, 'kubectl')), '{"f:data":{"f:a":{},"f:b":{}}}');
  assert.equal(fv(entry(s1, 'kubectl-client-side-apply', 'Update')),
    '{"f:data":{".":{},"f:a":{}},"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}}}');
  // 2) the annotation under its own applier.
  const s2 = cmApply(s1, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default', annotations: { [LAST_APPLIED_ANNOTATION]: la2 } } }, 'kubectl-last-applied', T(2)).object;
  assert.equal(fv(entry(s2, 'kubectl-last-applied')), '{"f:metadata":{"f:annotations":{"f:kubectl.kubernetes.io/last-applied-configuration":{}}}}');
  // 3) JSON patch replacing managedFields (fieldManager=kubectl): taken as they are.
  const upgraded = csaUpgrade(mfOf(s2)!);
  const s3 = cmUpdate(s2, { ...s2, metadata: { ...s2.metadata, managedFields: upgraded } }, 'kubectl', T(3));
  assert.deepEqual(heads(s3), [['kubectl-last-applied', 'Apply', 'v1', undefined, undefined], ['kubectl', 'Apply', 'v1', T(1), undefined]]);
  // 4) the apply again: no conflict; kubectl drops what it no longer applies, the annotation stays.
  const s4 = cmApply(s3, v2, 'kubectl', T(4));
  assert.deepEqual(s4.object['data'], { a: '1', b: '3' });
  assert.equal(s4.object.metadata.annotations?.[LAST_APPLIED_ANNOTATION], la2);
  assert.deepEqual(heads(s4.object), [['kubectl-last-applied', 'Apply', 'v1', undefined, undefined], ['kubectl', 'Apply', 'v1', T(1), undefined]]);
  assert.equal(fv(entry(s4.object, 'kubectl')), '{"f:data":{"f:a":{},"f:b":{}}}');
});

test('last-applied allows only fields whose live value client-side apply set; others still conflict', () => {
  const la = `${JSON.stringify({ apiVersion: 'v1', data: { a: '1', b: '2' }, kind: 'ConfigMap', metadata: { annotations: {}, name: 'cm', namespace: 'default' } })}\n`;
  const c0 = cmUpdate(undefined, cm({ a: '1', b: '2' }, { annotations: { [LAST_APPLIED_ANNOTATION]: la } }) as KubeObject, 'kubectl-client-side-apply', T(0));
  const c1 = cmUpdate(c0, { ...c0, data: { a: '1', b: '5' } }, 'editor', T(1));
  expectApiError(() => cmApply(c1, cm({ a: '9', b: '3' }), 'kubectl', T(2)), 409, 'Apply failed with 1 conflict: conflict with "editor" using v1: .data.b');
  // Another manager name gets no such allowance.
  expectApiError(() => cmApply(c0, cm({ a: '9' }), 'helm', T(2)), 409, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a');
});

// ---- helpers for the store and /scale ----------------------------------------------------------

test('revertNoopTimestamps keeps old times when only managedFields times changed', () => {
  const e = { manager: 'm', operation: 'Update' as const, apiVersion: 'v1', fieldsType: 'FieldsV1' as const, fieldsV1: { 'f:data': {} } };
  const old = stored({ ...cm({ a: '1' }), metadata: { name: 'cm', managedFields: [{ ...e, time: T(0) }] } } as KubeObject);
  const same = { ...old, metadata: { ...old.metadata, managedFields: [{ ...e, time: T(9) }] } };
  assert.deepEqual(revertNoopTimestamps(old, same).metadata.managedFields, [{ ...e, time: T(0) }]);
  const changed = { ...same, data: { a: '2' } };
  assert.equal(revertNoopTimestamps(old, changed), changed);
});

test('/scale: the replicas owner moves between the parent and its Scale', () => {
  const paths = { 'apps/v1': ['spec', 'replicas'] };
  const spec = { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } };
  const d = depApply(undefined, deploy(spec), 'kubectl', T(0)).object;
  const scaleMf = scaleManagedFields(mfOf(d), paths);
  assert.deepEqual(scaleMf, [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'autoscaling/v1', time: T(0), fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }]);
  const liveScale = stored({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'default', managedFields: scaleMf }, spec: { replicas: 2 }, status: { replicas: 2 } } as KubeObject);
  const newScale = { ...liveScale, spec: { replicas: 5 } };
  const after = recordUpdate({ live: liveScale, object: newScale, manager: 'kubectl', apiVersion: 'autoscaling/v1', subresource: 'scale', schema: scaleSchema, now: T(1) });
  assert.deepEqual(after, [{ manager: 'kubectl', operation: 'Update', apiVersion: 'autoscaling/v1', time: T(1), fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } }, subresource: 'scale' }]);
  const parent = parentManagedFieldsFromScale(mfOf(d), after, 'apps/v1', paths)!;
  assert.deepEqual(parent.map((e) => [e.manager, e.operation, e.apiVersion, e.time, e.subresource]), [
    ['kubectl', 'Apply', 'apps/v1', T(0), undefined], ['kubectl', 'Update', 'apps/v1', undefined, 'scale'],
  ]);
  assert.ok(!fv(parent[0]).includes('f:replicas'));
  assert.equal(fv(parent[1]), '{"f:spec":{"f:replicas":{}}}');
  assert.ok(resetFields(['spec'], ['metadata', 'labels']).has([{ t: 'f', name: 'spec' }]));
});
