import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deploymentStrategy } from './apps-deployment.ts';
import { at, clone, messages, runCreate, runUpdate } from './testing.ts';

const dep = {
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] } },
  },
};

test('defaults', () => {
  const { obj, errors } = runCreate(deploymentStrategy, { metadata: { name: 'web' }, spec: { selector: dep.spec.selector, template: dep.spec.template } }, { namespace: 'default' });
  assert.deepEqual(messages(errors), []);
  const spec = obj.spec as any;
  assert.equal(spec.replicas, 1);
  assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(spec.revisionHistoryLimit, 10);
  assert.equal(spec.progressDeadlineSeconds, 600);
  assert.deepEqual(spec.template.spec, {
    containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }], imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', resources: {} }],
    dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', securityContext: {}, terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler',
  });
  assert.deepEqual(obj.status, {});
  assert.deepEqual(deploymentStrategy.specFields, ['spec']);
});

test('selector is required and must match the template labels', () => {
  const d = clone(dep) as any;
  delete d.spec.selector;
  assert.deepEqual(messages(runCreate(deploymentStrategy, d, { namespace: 'default' }).errors), [
    'spec.selector: Required value',
    'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
  ]);
  const m = clone(dep) as any;
  m.spec.selector.matchLabels.app = 'api';
  assert.deepEqual(messages(runCreate(deploymentStrategy, m, { namespace: 'default' }).errors),
    ['spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`']);
  const e = clone(dep) as any;
  e.spec.selector = {};
  assert.deepEqual(messages(runCreate(deploymentStrategy, e, { namespace: 'default' }).errors), ['spec.selector: Invalid value: {}: empty selector is invalid for deployment']);
});

test('template must be a valid, always-restarting pod template', () => {
  const d = clone(dep) as any;
  d.spec.template.spec.restartPolicy = 'Never';
  d.spec.template.spec.containers[0].image = '';
  assert.deepEqual(messages(runCreate(deploymentStrategy, d, { namespace: 'default' }).errors), [
    'spec.template.spec.containers[0].image: Required value',
    'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
  ]);
});

test('strategy and counters', () => {
  const d = clone(dep) as any;
  d.spec.replicas = -1;
  d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '0%' } };
  d.spec.minReadySeconds = 700;
  assert.deepEqual(messages(runCreate(deploymentStrategy, d, { namespace: 'default' }).errors), [
    'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
    'spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds',
  ]);
  const r = clone(dep) as any;
  r.spec.strategy = { type: 'Recreate', rollingUpdate: { maxSurge: 1 } };
  assert.deepEqual(messages(at(runCreate(deploymentStrategy, r, { namespace: 'default' }).errors, 'spec.strategy.rollingUpdate')),
    ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]);
});

test('update: selector is immutable; scaling and image changes are fine', () => {
  const { obj: old } = runCreate(deploymentStrategy, dep, { namespace: 'default' });
  const scaled = clone(old) as any;
  scaled.spec.replicas = 5;
  scaled.spec.template.spec.containers[0].image = 'nginx:1.26';
  assert.deepEqual(messages(runUpdate(deploymentStrategy, scaled, old).errors), []);
  const moved = clone(old) as any;
  moved.spec.selector = { matchLabels: { app: 'web', tier: 'fe' } };
  moved.spec.template.metadata.labels.tier = 'fe';
  assert.deepEqual(messages(runUpdate(deploymentStrategy, moved, old).errors),
    ['spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"fe"}}: field is immutable']);
});

test('update keeps the stored status', () => {
  const { obj: old } = runCreate(deploymentStrategy, dep, { namespace: 'default' });
  (old as any).status = { replicas: 3 };
  const next = clone(old) as any;
  next.status = { replicas: 99 };
  assert.deepEqual(runUpdate(deploymentStrategy, next, old).obj.status, { replicas: 3 });
});
