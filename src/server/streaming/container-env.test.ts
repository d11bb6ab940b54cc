import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { containerEnvironment, expandEnvValue, type EnvSources } from './container-env.ts';
import { commandPlan, selectContainer } from './pod-config.ts';

const sources: EnvSources = {
  configMap: (n) => ({
    'kubernetes-x-a.env': { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' },
    'service-links-x-default-x-a.env': { DB_SERVICE_HOST: '10.0.0.20', DB_SERVICE_PORT: '5432', WEB_SERVICE_HOST: '10.0.0.30' },
    settings: { MODE: 'fast', DB_SERVICE_HOST: 'db.example', 'bad=key': 'x', level: '3' },
  } as Record<string, Record<string, string>>)[n],
  secret: (n) => (n === 'creds' ? { password: 's3cret' } : undefined),
};

function pod(container: Record<string, unknown>): KubeObject {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'u1', labels: { app: 'web' } },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'i', ...container }] },
    status: { podIP: '10.244.0.5', podIPs: [{ ip: '10.244.0.5' }, { ip: 'fd00::5' }], hostIP: '172.18.0.2' },
  };
}

test('service variables from the first envFrom sources lose to later sources and to env, as upstream ranks them', () => {
  const env = containerEnvironment(pod({
    envFrom: [
      { configMapRef: { name: 'kubernetes-x-a.env' } }, { configMapRef: { name: 'service-links-x-default-x-a.env' } },
      { configMapRef: { name: 'settings' } }, { prefix: 'S_', secretRef: { name: 'creds' } },
      { configMapRef: { name: 'missing', optional: true } }, { configMapRef: { name: 'absent' } },
    ],
    env: [
      { name: 'WEB_SERVICE_HOST', value: 'web.example' },
      { name: 'DB_URL', value: 'postgres://$(DB_SERVICE_HOST):$(DB_SERVICE_PORT)/$(NOPE)' },
      { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'level' } } },
      { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
      { name: 'GONE', valueFrom: { configMapKeyRef: { name: 'absent', key: 'x', optional: true } } },
    ],
  }), 'app', sources);
  assert.deepEqual(env, {
    KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443',
    DB_SERVICE_HOST: 'db.example', DB_SERVICE_PORT: '5432', WEB_SERVICE_HOST: 'web.example',
    MODE: 'fast', level: '3', S_password: 's3cret',
    DB_URL: 'postgres://db.example:5432/$(NOPE)', LEVEL: '3', PASSWORD: 's3cret',
  });
});

test('pod fields, and references only to what is defined before', () => {
  const env = containerEnvironment(pod({
    env: [
      { name: 'EARLY', value: '$(LATE)' },
      { name: 'LATE', value: 'x' },
      { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'EMPTY' },
    ],
  }), 'app');
  assert.deepEqual(env, { EARLY: '$(LATE)', LATE: 'x', NAME: 'web', APP: 'web', IPS: '10.244.0.5,fd00::5', NODE: 'node-1', EMPTY: '' });
  assert.deepEqual(containerEnvironment(pod({}), 'other', sources), {});
});

test('$(VAR) expansion: $$ escapes, unknown and unclosed references stay', () => {
  const look = (n: string) => ({ A: 'a', B: '' } as Record<string, string>)[n];
  assert.equal(expandEnvValue('$(A)-$(B)-$(C)', look), 'a--$(C)');
  assert.equal(expandEnvValue('$$(A) $$ $x $', look), '$(A) $ $x $');
  assert.equal(expandEnvValue('pre $(A', look), 'pre $(A');
});

test('an exec command runs with the container\'s environment, its envFrom sources resolved', () => {
  const p = pod({ envFrom: [{ configMapRef: { name: 'kubernetes-x-a.env' } }], env: [{ name: 'GREETING', value: 'hi' }] });
  p.metadata.annotations = { 'kubevisor.dev/exec-command': '/bin/sh' };
  const plan = commandPlan(p, selectContainer(p, 'app'), 'exec', ['true'], false, { envSources: sources });
  assert.ok(plan.ok);
  assert.equal(plan.plan.env.KUBERNETES_SERVICE_HOST, '10.0.0.1');
  assert.equal(plan.plan.env.GREETING, 'hi');
  assert.equal(plan.plan.env.KUBEVISOR_POD_NAME, 'web');
});
