// autoscaling/v1 <-> autoscaling/v2 HorizontalPodAutoscaler. Stored as v2.
// v1 carries only a CPU utilization target; what v2 has beyond that travels in
// annotations so that a v2 object read and written back through v1 loses nothing.

import type { KubeObject } from '../../api/types.ts';

const metricsAnnotation = 'autoscaling.alpha.kubernetes.io/metrics';
const currentMetricsAnnotation = 'autoscaling.alpha.kubernetes.io/current-metrics';
const conditionsAnnotation = 'autoscaling.alpha.kubernetes.io/conditions';
const behaviorAnnotation = 'autoscaling.alpha.kubernetes.io/behavior';

type Metric = { type?: string; resource?: { name?: string; target?: { type?: string; averageUtilization?: number }; current?: { averageUtilization?: number } } };

function isCpuUtilization(m: Metric): boolean {
  return m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target?.type === 'Utilization';
}

function parseAnnotation<T>(annotations: Record<string, string>, key: string): T | undefined {
  const raw = annotations[key];
  delete annotations[key];
  if (raw === undefined) return undefined;
  try { return JSON.parse(raw) as T; } catch { return undefined; }
}

export function hpaV1ToV2(obj: KubeObject): KubeObject {
  const annotations = { ...(obj.metadata.annotations ?? {}) };
  const spec = { ...((obj.spec ?? {}) as Record<string, unknown>) };
  const status = { ...((obj.status ?? {}) as Record<string, unknown>) };
  const extraMetrics = parseAnnotation<Metric[]>(annotations, metricsAnnotation) ?? [];
  const extraCurrent = parseAnnotation<Metric[]>(annotations, currentMetricsAnnotation) ?? [];
  const conditions = parseAnnotation<unknown[]>(annotations, conditionsAnnotation);
  const behavior = parseAnnotation<unknown>(annotations, behaviorAnnotation);
  const metrics: Metric[] = [];
  const cpu = spec.targetCPUUtilizationPercentage;
  delete spec.targetCPUUtilizationPercentage;
  if (typeof cpu === 'number') metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu } } });
  metrics.push(...extraMetrics);
  if (metrics.length > 0) spec.metrics = metrics;
  if (behavior !== undefined) spec.behavior = behavior;
  const current: Metric[] = [];
  const curCpu = status.currentCPUUtilizationPercentage;
  delete status.currentCPUUtilizationPercentage;
  if (typeof curCpu === 'number') current.push({ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: curCpu } } });
  current.push(...extraCurrent);
  if (current.length > 0) status.currentMetrics = current;
  if (conditions !== undefined) status.conditions = conditions;
  const out: KubeObject = { ...obj, apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', spec };
  if (obj.status !== undefined) out.status = status;
  out.metadata = { ...obj.metadata, annotations };
  if (Object.keys(annotations).length === 0) delete out.metadata.annotations;
  return out;
}

export function hpaV2ToV1(obj: KubeObject): KubeObject {
  const annotations = { ...(obj.metadata.annotations ?? {}) };
  const spec = { ...((obj.spec ?? {}) as Record<string, unknown>) };
  const status = { ...((obj.status ?? {}) as Record<string, unknown>) };
  const metrics = (spec.metrics as Metric[] | undefined) ?? [];
  delete spec.metrics;
  const cpu = metrics.find(isCpuUtilization);
  if (cpu?.resource?.target?.averageUtilization !== undefined) spec.targetCPUUtilizationPercentage = cpu.resource.target.averageUtilization;
  const others = metrics.filter((m) => m !== cpu);
  if (others.length > 0) annotations[metricsAnnotation] = JSON.stringify(others);
  if (spec.behavior !== undefined) { annotations[behaviorAnnotation] = JSON.stringify(spec.behavior); delete spec.behavior; }
  const current = (status.currentMetrics as Metric[] | undefined) ?? [];
  delete status.currentMetrics;
  const curCpu = current.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu');
  if (curCpu?.resource?.current?.averageUtilization !== undefined) status.currentCPUUtilizationPercentage = curCpu.resource.current.averageUtilization;
  const otherCurrent = current.filter((m) => m !== curCpu);
  if (otherCurrent.length > 0) annotations[currentMetricsAnnotation] = JSON.stringify(otherCurrent);
  if (status.conditions !== undefined) { annotations[conditionsAnnotation] = JSON.stringify(status.conditions); delete status.conditions; }
  const out: KubeObject = { ...obj, apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', spec };
  if (obj.status !== undefined) out.status = status;
  out.metadata = { ...obj.metadata, annotations };
  if (Object.keys(annotations).length === 0) delete out.metadata.annotations;
  return out;
}
