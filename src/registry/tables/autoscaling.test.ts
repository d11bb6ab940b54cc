import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatHPAMetrics, horizontalPodAutoscalerTable, scaleTable } from './autoscaling.ts';
import { HOUR, MINUTE, NOW, header, obj } from './testing.ts';

const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

test('HPA columns', () => {
  assert.deepEqual(header(horizontalPodAutoscalerTable), ['Name', 'Reference', 'Targets', 'MinPods', 'MaxPods', 'Replicas', 'Age']);
});

test('autoscaling/v2 HPA on CPU utilization', () => {
  const hpa = obj('web', 20 * MINUTE, {
    apiVersion: 'autoscaling/v2',
    spec: {
      scaleTargetRef: ref, minReplicas: 2, maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
    },
    status: {
      currentReplicas: 3, desiredReplicas: 3,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 62, averageValue: '310m' } } }],
    },
  });
  assert.deepEqual(horizontalPodAutoscalerTable.cells(hpa, NOW), ['web', 'Deployment/web', 'cpu: 62%/80%', '2', 10, 3, '20m']);
});

test('autoscaling/v1 HPA', () => {
  const hpa = obj('web', HOUR, {
    apiVersion: 'autoscaling/v1',
    spec: { scaleTargetRef: ref, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 },
    status: { currentReplicas: 1, desiredReplicas: 1, currentCPUUtilizationPercentage: 7 },
  });
  assert.deepEqual(horizontalPodAutoscalerTable.cells(hpa, NOW), ['web', 'Deployment/web', 'cpu: 7%/50%', '1', 5, 1, '60m']);
  const noMetrics = obj('idle', HOUR, { spec: { scaleTargetRef: ref, maxReplicas: 3, targetCPUUtilizationPercentage: 80 }, status: { currentReplicas: 0 } });
  assert.deepEqual(horizontalPodAutoscalerTable.cells(noMetrics, NOW), ['idle', 'Deployment/web', 'cpu: <unknown>/80%', '<unset>', 3, 0, '60m']);
  const none = obj('bare', HOUR, { spec: { scaleTargetRef: ref, maxReplicas: 3 } });
  assert.equal(horizontalPodAutoscalerTable.cells(none, NOW)[2], '<none>');
});

test('HPA metric kinds and the two-metric limit', () => {
  const specs = [
    { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '512Mi' } } },
    { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '1k' } } },
    { type: 'Object', object: { metric: { name: 'hits' }, target: { type: 'Value', value: '10' } } },
    { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'AverageValue', averageValue: '30' } } },
    { type: 'ContainerResource', containerResource: { name: 'cpu', container: 'app', target: { type: 'Utilization' } } },
  ];
  const statuses = [
    { type: 'Resource', resource: { name: 'memory', current: { averageValue: '268435456' } } },
    { type: 'Pods', pods: { metric: { name: 'qps' }, current: { averageValue: '1500m' } } },
    { type: 'Object', object: { metric: { name: 'hits' }, current: { value: '4' } } },
  ];
  assert.equal(formatHPAMetrics(specs, statuses), 'memory: 268435456/512Mi, 1500m/1k + 3 more...');
  assert.equal(formatHPAMetrics(specs.slice(2), statuses.slice(2)), '4/10, <unknown>/30 (avg) + 1 more...');
  assert.equal(formatHPAMetrics(specs.slice(4), []), 'cpu: <unknown>/<auto>');
  assert.equal(formatHPAMetrics([{ type: 'Magic' }], []), '<unknown type>');
  assert.equal(formatHPAMetrics([{ type: 'External', external: { target: { value: '2' } } }], [{ external: { current: {} } }]), '<nil>/2');
  assert.equal(formatHPAMetrics([], []), '<none>');
});

test('scale subresource', () => {
  assert.deepEqual(header(scaleTable), ['Name', 'Desired', 'Available', 'Age']);
  assert.equal(scaleTable.columns[0]!.format, '');
  assert.deepEqual(scaleTable.cells(obj('web', HOUR, { spec: { replicas: 4 }, status: { replicas: 3, selector: 'app=web' } }), NOW), ['web', 4, 3, '60m']);
});
