// Where the autoscaler's metrics come from. Resource metrics: the cluster's
// Metrics API source (metrics.k8s.io, as the controller's resource metrics
// client reads it: Running pods the selector matches, a pod's value the sum of
// its containers', or one container's). Custom and external metrics: kubevisor
// serves neither custom.metrics.k8s.io nor external.metrics.k8s.io, so these
// fail as upstream's clients fail against a cluster without them.

import type { KubeObject } from '../../api/types.ts';
import { parseDuration } from '../../api/go-duration.ts';
import { milliValue, parseQuantity } from '../../api/validation/quantity.ts';
import { MetricsUnavailable, metricsSourceOf, podKey } from '../../server/metrics/source.ts';
import type { VirtualCluster } from '../../server/cluster.ts';
import { CalculationError, type PodMetrics } from './replicas.ts';
import { goLabelSelector, type MetricIdentifier } from './status.ts';

/** Resource metrics of the pods, by pod name, and the timestamp of the first (by name). */
export interface ResourceMetrics {
  metrics: PodMetrics;
  timestampMs: number;
}

function running(pod: KubeObject): boolean {
  return (pod.status as { phase?: string } | undefined)?.phase === 'Running';
}

/**
 * The usage of `resource` by the selected pods (GetResourceMetric). Throws
 * CalculationError with the client's text when the API cannot answer or
 * answers with nothing.
 */
export async function resourceMetrics(vc: VirtualCluster, pods: readonly KubeObject[], resource: string, container: string): Promise<ResourceMetrics> {
  const fetchFailed = (why: string) => new CalculationError(`unable to fetch metrics from resource metrics API: ${why}`);
  const source = metricsSourceOf(vc);
  const unavailable = 'the server is currently unable to handle the request (get pods.metrics.k8s.io)';
  if (!source) throw fetchFailed(unavailable);
  const listed = pods.filter(running);
  let samples;
  try {
    samples = await source.pods(listed);
  } catch (e) {
    if (e instanceof MetricsUnavailable) throw fetchFailed(unavailable);
    throw e;
  }
  const items = listed.filter((p) => samples.has(podKey(p)))
    .sort((a, b) => byName(a.metadata.name ?? '', b.metadata.name ?? ''));
  if (items.length === 0) throw new CalculationError('no metrics returned from resource metrics API');
  const metrics: PodMetrics = new Map();
  let timestampMs = 0;
  items.forEach((pod, i) => {
    const sample = samples.get(podKey(pod));
    if (!sample) return;
    const at = Date.parse(sample.timestamp);
    const window = parseDuration(sample.window) ?? 0;
    if (i === 0) timestampMs = at;
    let value = 0;
    let missing = sample.containers.length === 0;
    if (container !== '') {
      const c = sample.containers.find((x) => x.name === container);
      const v = c ? milliOf(c.usage[resource]) : undefined;
      if (v === undefined) missing = true;
      else value = v;
    } else {
      for (const c of sample.containers) {
        const v = milliOf(c.usage[resource]);
        if (v === undefined) { missing = true; break; }
        value += v;
      }
    }
    if (!missing) metrics.set(pod.metadata.name ?? '', { value, timestampMs: at, windowMs: window });
  });
  return { metrics, timestampMs };
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function milliOf(q: string | undefined): number | undefined {
  if (q === undefined) return undefined;
  const parsed = parseQuantity(q);
  return typeof parsed === 'string' ? undefined : Number(milliValue(parsed));
}

/** Pods metrics read through custom.metrics.k8s.io, which discovery does not list. */
export function podsMetricError(metric: MetricIdentifier | undefined): CalculationError {
  return new CalculationError(`unable to get metric ${metric?.name ?? ''}: unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered`);
}

/** Object metrics read through custom.metrics.k8s.io, which discovery does not list. */
export function objectMetricError(metric: MetricIdentifier | undefined, described: { kind?: string; name?: string } | undefined, namespace: string): CalculationError {
  return new CalculationError(`unable to get metric ${metric?.name ?? ''} on ${described?.kind ?? ''} ${namespace}/${described?.name ?? ''}: ` +
    'unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered');
}

/** External metrics read from external.metrics.k8s.io, which answers 404 here. */
export function externalMetricError(metric: MetricIdentifier | undefined, namespace: string): CalculationError {
  const name = metric?.name ?? '';
  return new CalculationError(`unable to get external metric ${namespace}/${name}/${goLabelSelector(metric?.selector)}: ` +
    `unable to fetch metrics from external metrics API: the server could not find the requested resource (get ${name}.external.metrics.k8s.io)`);
}
