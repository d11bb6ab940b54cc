import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conversionFor } from './index.ts';

const hpa = conversionFor({ group: 'autoscaling', resource: 'horizontalpodautoscalers' })!;
const events = conversionFor({ group: '', resource: 'events' })!;

test('HPA v1 -> v2 -> v1 round trip keeps everything', () => {
  const v1 = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 60 },
    status: { currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 70 } };
  const v2 = hpa.convert(v1, 'autoscaling/v2');
  assert.deepEqual((v2.spec as any).metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }]);
  assert.equal((v2.spec as any).targetCPUUtilizationPercentage, undefined);
  assert.deepEqual(hpa.convert(v2, 'autoscaling/v1'), v1);
});

test('HPA v2 extras survive a trip through v1', () => {
  const v2 = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1Gi' } } }],
      behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } };
  const v1 = hpa.convert(v2, 'autoscaling/v1');
  assert.ok(v1.metadata.annotations?.['autoscaling.alpha.kubernetes.io/metrics']);
  assert.equal((v1.spec as any).metrics, undefined);
  assert.deepEqual(hpa.convert(v1, 'autoscaling/v2'), v2);
});

test('core and events.k8s.io events map field by field', () => {
  const core = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'd' }, involvedObject: { kind: 'Pod', name: 'p' },
    message: 'hi', reason: 'Started', source: { component: 'kubelet' }, count: 2, type: 'Normal',
    firstTimestamp: '2026-01-01T00:00:00Z', lastTimestamp: '2026-01-01T00:01:00Z', reportingComponent: 'kubelet' };
  const ev = events.convert(core, 'events.k8s.io/v1') as any;
  assert.deepEqual(ev.regarding, { kind: 'Pod', name: 'p' });
  assert.equal(ev.note, 'hi');
  assert.equal(ev.deprecatedCount, 2);
  assert.equal(ev.reportingController, 'kubelet');
  assert.equal(ev.involvedObject, undefined);
  assert.deepEqual(events.convert(ev, 'v1'), core);
});
