import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemaForKind } from './index.ts';
import { findTypeError } from './type-check.ts';

const pod = schemaForKind('', 'v1', 'Pod')!;
const deploy = schemaForKind('apps', 'v1', 'Deployment')!;

test('wrong JSON types are reported as Go decoding reports them', () => {
  assert.equal(findTypeError(pod, { spec: 'x' }, 'Pod'), 'json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec');
  assert.equal(findTypeError(pod, { spec: { containers: [{ name: 5 }] } }, 'Pod'),
    'json: cannot unmarshal number into Go struct field Container.spec.containers.name of type string');
  assert.equal(findTypeError(pod, { metadata: { labels: { a: 1 } } }, 'Pod'),
    'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string');
  assert.equal(findTypeError(deploy, { spec: { replicas: '3' } }, 'Deployment'),
    'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32');
  assert.equal(findTypeError(pod, { spec: { containers: {} } }, 'Pod'),
    'json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container');
});

test('well-typed values, nulls, quantities, int-or-strings and unknown fields pass', () => {
  assert.equal(findTypeError(pod, {
    metadata: { name: 'p', labels: null }, bogus: 1,
    spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1', memory: 1024 } },
      livenessProbe: { httpGet: { port: 'http', path: '/' } }, readinessProbe: { httpGet: { port: 8080 } } }] },
  }, 'Pod'), undefined);
});

test('int-or-string fields take numbers and strings, nothing else', () => {
  const svc = schemaForKind('', 'v1', 'Service')!;
  assert.equal(findTypeError(svc, { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 81, targetPort: 'http' }] } }, 'Service'), undefined);
  assert.equal(findTypeError(svc, { spec: { ports: [{ port: 80, targetPort: true }] } }, 'Service'),
    'json: cannot unmarshal bool into Go struct field ServicePort.spec.ports.targetPort of type intstr.IntOrString');
});
