import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeQOSClass, podStrategy } from './core-pod.ts';
import { at, clone, messages, runCreate, runUpdate } from './testing.ts';

const pod = {
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    containers: [{
      name: 'nginx', image: 'nginx:1.25',
      ports: [{ name: 'http', containerPort: 80 }],
      env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
      readinessProbe: { httpGet: { port: 'http' } },
      volumeMounts: [{ name: 'config', mountPath: '/etc/nginx/conf.d' }],
    }],
    volumes: [{ name: 'config', configMap: { name: 'nginx-conf' } }, { name: 'scratch' }],
  },
};

test('a realistic pod is valid and gets the server defaults', () => {
  const { obj, errors } = runCreate(podStrategy, pod, { namespace: 'default' });
  assert.deepEqual(messages(errors), []);
  const spec = obj.spec as Record<string, any>;
  assert.equal(spec.restartPolicy, 'Always');
  assert.equal(spec.dnsPolicy, 'ClusterFirst');
  assert.equal(spec.terminationGracePeriodSeconds, 30);
  assert.equal(spec.schedulerName, 'default-scheduler');
  assert.deepEqual(spec.securityContext, {});
  assert.equal(spec.enableServiceLinks, true);
  // priority and preemptionPolicy come from the Priority admission plugin (controllers/policy/priority.ts).
  assert.equal(spec.priority, undefined);
  assert.equal(spec.serviceAccountName, 'default');
  assert.equal(spec.serviceAccount, 'default');
  assert.deepEqual(spec.tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  const c = spec.containers[0];
  assert.equal(c.imagePullPolicy, 'IfNotPresent');
  assert.equal(c.terminationMessagePath, '/dev/termination-log');
  assert.equal(c.terminationMessagePolicy, 'File');
  assert.deepEqual(c.resources, {});
  assert.deepEqual(c.ports, [{ name: 'http', containerPort: 80, protocol: 'TCP' }]);
  assert.equal(c.env[0].valueFrom.fieldRef.apiVersion, 'v1');
  assert.deepEqual(c.readinessProbe, { httpGet: { port: 'http', path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual(spec.volumes[0], { name: 'config', configMap: { name: 'nginx-conf', defaultMode: 420 } });
  assert.deepEqual(spec.volumes[1], { name: 'scratch', emptyDir: {} });
  const sa = spec.volumes[2];
  assert.match(sa.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.deepEqual(c.volumeMounts[1], { name: sa.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' });
  assert.deepEqual(obj.status, { phase: 'Pending', qosClass: 'BestEffort' });
});

test('image pull policy follows the tag', () => {
  const cases: Array<[string, string]> = [['nginx', 'Always'], ['nginx:latest', 'Always'], ['registry:5000/team/app', 'Always'],
    ['nginx:1.25', 'IfNotPresent'], ['nginx@sha256:' + 'a'.repeat(64), 'IfNotPresent'], ['localhost:5000/app:v1', 'IfNotPresent']];
  for (const [image, policy] of cases) {
    const p = clone(pod);
    p.spec.containers[0]!.image = image;
    const { obj } = runCreate(podStrategy, p, { namespace: 'default' });
    assert.equal((obj.spec as any).containers[0].imagePullPolicy, policy, image);
  }
});

test('requests default to limits; QoS class is computed', () => {
  const p = clone(pod) as any;
  p.spec.containers[0].resources = { limits: { cpu: '0.5', memory: '128Mi' } };
  const { obj, errors } = runCreate(podStrategy, p, { namespace: 'default' });
  assert.deepEqual(errors, []);
  const res = (obj.spec as any).containers[0].resources;
  assert.deepEqual(res, { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '500m', memory: '128Mi' } });
  assert.equal((obj.status as any).qosClass, 'Guaranteed');
  assert.equal(computeQOSClass({ containers: [{ resources: { requests: { cpu: '100m' } } }] }), 'Burstable');
  assert.equal(computeQOSClass({ containers: [{}] }), 'BestEffort');
});

test('scheduling gates add a PodScheduled=False condition', () => {
  const p = clone(pod) as any;
  p.spec.schedulingGates = [{ name: 'example.com/wait' }];
  const { obj } = runCreate(podStrategy, p, { namespace: 'default' });
  assert.deepEqual((obj.status as any).conditions, [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: null,
    reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' }]);
});

test('required fields and formats inside containers', () => {
  const p = { metadata: { name: 'p' }, spec: { containers: [{ name: 'Bad_Name' }, { name: 'b', image: 'x', ports: [{ containerPort: 0, protocol: 'FOO' }] }] } };
  const { errors } = runCreate(podStrategy, p, { namespace: 'default' });
  assert.equal(at(errors, 'spec.containers[0].name')[0]?.type, 'FieldValueInvalid');
  assert.deepEqual(messages(at(errors, 'spec.containers[0].image')), ['spec.containers[0].image: Required value']);
  assert.deepEqual(messages(at(errors, 'spec.containers[1].ports[0].containerPort')), ['spec.containers[1].ports[0].containerPort: Required value']);
  assert.deepEqual(messages(at(errors, 'spec.containers[1].ports[0].protocol')),
    ['spec.containers[1].ports[0].protocol: Unsupported value: "FOO": supported values: "SCTP", "TCP", "UDP"']);
});

test('containers are required; names must be unique', () => {
  const { errors } = runCreate(podStrategy, { metadata: { name: 'p' }, spec: {} }, { namespace: 'default' });
  assert.deepEqual(messages(errors), ['spec.containers: Required value']);
  const dup = { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }] } };
  assert.deepEqual(messages(runCreate(podStrategy, dup, { namespace: 'default' }).errors), ['spec.containers[1].name: Duplicate value: "a"']);
});

test('restartPolicy must be supported', () => {
  const p = clone(pod) as any;
  p.spec.restartPolicy = 'Sometimes';
  const { errors } = runCreate(podStrategy, p, { namespace: 'default' });
  assert.deepEqual(messages(errors), ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']);
});

test('mounts must name a volume; volumes need a source and a unique DNS label', () => {
  const p = clone(pod) as any;
  p.spec.containers[0].volumeMounts = [{ name: 'nope', mountPath: '/x' }];
  p.spec.volumes = [{ name: 'a', secret: {} }, { name: 'c', emptyDir: {} }, { name: 'b', emptyDir: {}, hostPath: { path: '/x' } }, { name: 'c', emptyDir: {} }];
  const { errors } = runCreate(podStrategy, p, { namespace: 'default' });
  assert.deepEqual(messages(errors), [
    'spec.volumes[0].secret.secretName: Required value',
    'spec.volumes[2].hostPath: Forbidden: may not specify more than 1 volume type',
    'spec.volumes[3].name: Duplicate value: "c"',
    'spec.containers[0].volumeMounts[0].name: Not found: "nope"',
  ]);
});

test('probe and resource checks', () => {
  const p = clone(pod) as any;
  p.spec.containers[0].livenessProbe = { exec: { command: ['true'] }, successThreshold: 2 };
  p.spec.containers[0].resources = { limits: { cpu: '100m' }, requests: { cpu: '200m', memory: '-1' } };
  const { errors } = runCreate(podStrategy, p, { namespace: 'default' });
  // Upstream walks resource maps in random order; compare as sets.
  assert.deepEqual(messages(errors).sort(), [
    'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
    'spec.containers[0].resources.requests: Invalid value: "200m": must be less than or equal to cpu limit of 100m',
    'spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0',
  ]);
});

test('a string where an object or list belongs is an error, not an exception', () => {
  for (const spec of ['x', 5, [], { containers: 'x' }, { containers: ['x'] }, { containers: [{ name: 'a', image: 'b', ports: 'p', env: {}, resources: 'r' }] }]) {
    const { errors } = runCreate(podStrategy, { metadata: { name: 'p' }, spec }, { namespace: 'default' });
    assert.ok(errors.length > 0, JSON.stringify(spec));
  }
  const { errors } = runCreate(podStrategy, { metadata: { name: 'p' }, spec: { containers: 'x' } }, { namespace: 'default' });
  assert.deepEqual(messages(errors), ['spec.containers: Invalid value: "string": spec.containers in body must be of type array: "string"']);
});

test('update: only images, activeDeadlineSeconds and added tolerations may change', () => {
  const { obj: old } = runCreate(podStrategy, pod, { namespace: 'default' });
  const ok = clone(old) as any;
  ok.spec.containers[0].image = 'nginx:1.26';
  ok.spec.tolerations.push({ key: 'k', operator: 'Exists' });
  assert.deepEqual(messages(runUpdate(podStrategy, ok, old).errors), []);

  const bad = clone(old) as any;
  bad.spec.restartPolicy = 'Never';
  const errs = runUpdate(podStrategy, bad, old).errors;
  assert.equal(errs.length, 1);
  assert.equal(errs[0]?.field, 'spec');
  assert.equal(errs[0]?.type, 'FieldValueForbidden');
  assert.ok(errs[0]?.detail?.startsWith('pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n'));
  assert.ok(errs[0]?.detail?.includes('spec.restartPolicy'));

  const removed = clone(old) as any;
  removed.spec.containers.push({ name: 'side', image: 'busybox' });
  assert.deepEqual(messages(runUpdate(podStrategy, removed, old).errors).filter((m) => m.startsWith('spec.containers:')),
    ['spec.containers: Forbidden: pod updates may not add or remove containers']);

  const tol = clone(old) as any;
  tol.spec.tolerations = [];
  assert.deepEqual(messages(runUpdate(podStrategy, tol, old).errors),
    ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds']);
});

test('update keeps the stored status', () => {
  const { obj: old } = runCreate(podStrategy, pod, { namespace: 'default' });
  const next = clone(old) as any;
  next.status = { phase: 'Running' };
  assert.deepEqual(runUpdate(podStrategy, next, old).obj.status, old.status);
});

test('pods track generation', () => {
  assert.deepEqual(podStrategy.specFields, ['spec']);
});

test('ephemeral containers are refused on create only', async () => {
  const { runCreate, runUpdate } = await import('./testing.ts');
  const { podStrategy } = await import('./core-pod.ts');
  const base = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd' }, spec: { containers: [{ name: 'c', image: 'i' }] } };
  const eph = { ...base, spec: { ...base.spec, ephemeralContainers: [{ name: 'dbg', image: 'busybox', terminationMessagePolicy: 'File', imagePullPolicy: 'Always' }] } };
  assert.ok(runCreate(podStrategy, structuredClone(eph)).errors.some((e) => e.field === 'spec.ephemeralContainers'));
  const created = runCreate(podStrategy, structuredClone(base)).obj;
  const updated = structuredClone(created) as any;
  updated.spec.ephemeralContainers = eph.spec.ephemeralContainers;
  assert.ok(!runUpdate(podStrategy, updated, created).errors.some((e) => e.field === 'spec.ephemeralContainers' && e.type === 'FieldValueForbidden' && e.detail === 'cannot be set on create'));
});

test('pods/ephemeralcontainers: only spec.ephemeralContainers is written, and only by adding', () => {
  const write = podStrategy.subresourceWrites?.ephemeralcontainers;
  assert.ok(write);
  const old = runCreate(podStrategy, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd' }, spec: { containers: [{ name: 'c', image: 'i' }] } }).obj;
  const sent = clone(old) as any;
  sent.metadata.labels = { x: 'y' };
  sent.spec.containers[0].image = 'other';
  sent.status = { phase: 'Failed' };
  sent.spec.ephemeralContainers = [{ name: 'dbg', image: 'busybox', terminationMessagePolicy: 'File' }];
  const added = write.prepare(sent, old);
  assert.equal(added.metadata.labels, undefined);
  assert.equal((added.spec as any).containers[0].image, 'i');
  assert.deepEqual(added.status, old.status);
  assert.deepEqual((added.spec as any).ephemeralContainers, [{
    name: 'dbg', image: 'busybox', terminationMessagePolicy: 'File', imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log', resources: {},
  }]);
  assert.equal((old.spec as any).ephemeralContainers, undefined, 'the stored pod is not changed');
  assert.deepEqual(messages(write.validate(added, old)), []);

  const changed = clone(added) as any;
  changed.spec.ephemeralContainers[0].stdin = true;
  assert.deepEqual(messages(write.validate(write.prepare(changed, added), added)), [
    'spec.ephemeralContainers: Forbidden: existing ephemeral containers "dbg" may not be changed\n+ spec.ephemeralContainers[0].stdin: true',
  ]);
  const removed = clone(added) as any;
  removed.spec.ephemeralContainers = [];
  assert.deepEqual(messages(write.validate(write.prepare(removed, added), added)), [
    'spec.ephemeralContainers: Forbidden: existing ephemeral containers "dbg" may not be removed\n',
  ]);
  // Order does not matter: a patch may put the new one first.
  const reordered = clone(added) as any;
  reordered.spec.ephemeralContainers.unshift({ name: 'dbg2', image: 'busybox', terminationMessagePolicy: 'File' });
  assert.deepEqual(messages(write.validate(write.prepare(reordered, added), added)), []);
  const dup = clone(added) as any;
  dup.spec.ephemeralContainers.push({ name: 'c', image: 'busybox', terminationMessagePolicy: 'File', ports: [{ containerPort: 80 }] });
  assert.deepEqual(messages(write.validate(write.prepare(dup, added), added)), [
    'spec.ephemeralContainers[1].name: Duplicate value: "c"',
    'spec.ephemeralContainers[1].ports: Forbidden: cannot be set for an Ephemeral Container',
  ]);
});

test('pod updates refuse changes to spec.ephemeralContainers', () => {
  const old = runCreate(podStrategy, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd' }, spec: { containers: [{ name: 'c', image: 'i' }] } }).obj;
  const next = clone(old) as any;
  next.spec.ephemeralContainers = [{ name: 'dbg', image: 'busybox', terminationMessagePolicy: 'File' }];
  const errs = at(runUpdate(podStrategy, next, old).errors, 'spec');
  assert.equal(errs.length, 1);
  assert.match(errs[0]!.detail ?? '', /^pod updates may not change fields other than `spec\.containers\[\*\]\.image`,/);
  assert.match(errs[0]!.detail ?? '', /\n\+ spec\.ephemeralContainers: \[\{"name":"dbg"/);
});
