// The replica calculator of the horizontal pod autoscaler, as pure functions
// over the pods a target selects and the metrics they report: which pods count
// (ready, not yet ready, missing metrics, ignored), the pods' requests, the
// usage ratio against the target, and the replica count it asks for, within
// the tolerance. Values are milli-units (MilliValue), as upstream computes them.

import type { KubeObject } from '../../api/types.ts';
import { milliValue, parseQuantity } from '../../api/validation/quantity.ts';

/** One pod's metric: its value (milli-units), when it was measured and over how long. */
export interface PodMetric {
  value: number;
  timestampMs: number;
  windowMs: number;
}

/** Metrics by pod name. */
export type PodMetrics = Map<string, PodMetric>;

/** How far the usage ratio may stray from 1 without a change, each way. */
export interface Tolerances {
  scaleDown: number;
  scaleUp: number;
}

export function withinTolerance(t: Tolerances, ratio: number): boolean {
  return 1 - t.scaleDown <= ratio && ratio <= 1 + t.scaleUp;
}

/** Timing of the readiness rules (kube-controller-manager's flags). */
export interface Readiness {
  /** --horizontal-pod-autoscaler-cpu-initialization-period (5 min). */
  cpuInitializationPeriodMs: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay (30 s). */
  initialReadinessDelayMs: number;
}

/** A calculation that cannot give a count: the message upstream's error carries. */
export class CalculationError extends Error {}

interface PodStatusView {
  phase?: string;
  startTime?: string;
  conditions?: { type?: string; status?: string; lastTransitionTime?: string }[];
}

function timeOf(ts: string | undefined): number | undefined {
  if (!ts) return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

export interface PodGroups {
  readyPodCount: number;
  /** Pending pods, and (for cpu) pods not ready or still initializing. */
  unready: Set<string>;
  /** Pods without a metric. */
  missing: Set<string>;
  /** Pods being deleted or finished. */
  ignored: Set<string>;
}

/** Sort the selected pods by how their metrics count (upstream's groupPods). */
export function groupPods(pods: readonly KubeObject[], metrics: PodMetrics, resource: string, readiness: Readiness, nowMs: number): PodGroups {
  const out: PodGroups = { readyPodCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = pod.metadata.name ?? '';
    const status = (pod.status ?? {}) as PodStatusView;
    if (pod.metadata.deletionTimestamp || status.phase === 'Failed' || status.phase === 'Succeeded') {
      out.ignored.add(name);
      continue;
    }
    if (status.phase === 'Pending') {
      out.unready.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      out.missing.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const cond = status.conditions?.find((c) => c.type === 'Ready');
      const start = timeOf(status.startTime);
      let unready: boolean;
      if (!cond || start === undefined) {
        unready = true;
      } else {
        const transition = timeOf(cond.lastTransitionTime) ?? 0;
        if (start + readiness.cpuInitializationPeriodMs > nowMs) {
          // Still initializing: count it once ready for a whole metric window.
          unready = cond.status === 'False' || metric.timestampMs < transition + metric.windowMs;
        } else {
          // Not ready and never was since its start.
          unready = cond.status === 'False' && start + readiness.initialReadinessDelayMs > transition;
        }
      }
      if (unready) {
        out.unready.add(name);
        continue;
      }
    }
    out.readyPodCount++;
  }
  return out;
}

interface ContainerView {
  name?: string;
  restartPolicy?: string;
  resources?: { requests?: Record<string, unknown> };
}

function milli(q: unknown): number | undefined {
  if (typeof q !== 'string' && typeof q !== 'number') return undefined;
  const parsed = parseQuantity(q);
  return typeof parsed === 'string' ? undefined : Number(milliValue(parsed));
}

/**
 * Each pod's request of `resource` (milli-units): the named container's, or the
 * pod-level request when the pod sets them, or the sum over its containers and
 * sidecars. Throws when a pod lacks one.
 */
export function calculateRequests(pods: readonly KubeObject[], container: string, resource: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pod of pods) {
    const name = pod.metadata.name ?? '';
    const spec = (pod.spec ?? {}) as { containers?: ContainerView[]; initContainers?: ContainerView[]; resources?: { requests?: Record<string, unknown> } };
    const podLevel = spec.resources?.requests;
    if (container === '' && podLevel && Object.keys(podLevel).length > 0) {
      const v = milli(podLevel[resource]) ?? containersRequest(spec, '', resource, name, true);
      if (v === undefined) throw new CalculationError(`missing pod-level request for ${resource} in Pod ${name}`);
      out.set(name, v);
      continue;
    }
    out.set(name, containersRequest(spec, container, resource, name, false) as number);
  }
  return out;
}

function containersRequest(spec: { containers?: ContainerView[]; initContainers?: ContainerView[] }, container: string, resource: string,
  pod: string, lenient: boolean): number | undefined {
  const list = [...(spec.containers ?? []), ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  let sum = 0;
  for (const c of list) {
    if (container === '' || container === c.name) {
      const v = milli(c.resources?.requests?.[resource]);
      if (v === undefined) {
        if (lenient) return undefined;
        throw new CalculationError(`missing request for ${resource} in container ${c.name ?? ''} of Pod ${pod}`);
      }
      sum += v;
    }
    if (container !== '' && container === c.name) return sum;
  }
  if (container !== '') throw new CalculationError(`container ${container} not found in Pod ${pod}`);
  return sum;
}

/** Go's int64 division (truncating toward zero). */
function idiv(a: number, b: number): number {
  return Math.trunc(a / b);
}

export interface UtilizationRatio {
  ratio: number;
  /** Whole percent of the requests used. */
  utilization: number;
  /** The average usage (milli-units). */
  rawAverage: number;
}

/** Usage over requests of the pods that have both, against a target percentage. */
export function resourceUtilizationRatio(metrics: PodMetrics, requests: Map<string, number>, targetUtilization: number): UtilizationRatio {
  let metricsTotal = 0, requestsTotal = 0, entries = 0;
  for (const [pod, m] of metrics) {
    const req = requests.get(pod);
    if (req === undefined) continue;
    metricsTotal += m.value;
    requestsTotal += req;
    entries++;
  }
  if (requestsTotal === 0) throw new CalculationError('no metrics returned matched known pods');
  const utilization = idiv(metricsTotal * 100, requestsTotal);
  return { ratio: utilization / targetUtilization, utilization, rawAverage: idiv(metricsTotal, entries) };
}

/** The average of the metrics against a target average (milli-units). */
export function metricUsageRatio(metrics: PodMetrics, targetUsage: number): { ratio: number; usage: number } {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const usage = idiv(total, metrics.size);
  return { ratio: usage / targetUsage, usage };
}

export interface CalculatorInput {
  currentReplicas: number;
  /** The pods the target's selector selects. */
  pods: readonly KubeObject[];
  /** Their metrics, by pod name (a copy: the calculation fills in missing ones). */
  metrics: PodMetrics;
  resource: string;
  /** ContainerResource metrics: the container; '' for the whole pod. */
  container?: string;
  tolerances: Tolerances;
  readiness: Readiness;
  nowMs: number;
}

export interface ResourceReplicas {
  replicas: number;
  utilization: number;
  rawUtilization: number;
}

/** The pods' metrics that count (ignored and unready pods' taken out) and the pods grouped; throws when nothing counts. */
function countedMetrics(input: CalculatorInput): { metrics: PodMetrics; groups: PodGroups } {
  const metrics = new Map(input.metrics);
  if (input.pods.length === 0) throw new CalculationError('no pods returned by selector while calculating replica count');
  const groups = groupPods(input.pods, metrics, input.resource, input.readiness, input.nowMs);
  for (const p of groups.ignored) metrics.delete(p);
  for (const p of groups.unready) metrics.delete(p);
  if (metrics.size === 0) throw new CalculationError('did not receive metrics for targeted pods (pods might be unready)');
  return { metrics, groups };
}

/** Replicas for a target utilization (percent of requests) of a resource (GetResourceReplicas). */
export function resourceReplicas(input: CalculatorInput, targetUtilization: number): ResourceReplicas {
  const { currentReplicas, tolerances } = input;
  const { metrics, groups } = countedMetrics(input);
  const requests = calculateRequests(input.pods, input.container ?? '', input.resource);
  const { ratio, utilization, rawAverage } = resourceUtilizationRatio(metrics, requests, targetUtilization);
  const result = (replicas: number): ResourceReplicas => ({ replicas, utilization, rawUtilization: rawAverage });

  const scaleUpWithUnready = groups.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (withinTolerance(tolerances, ratio)) return result(currentReplicas);
    return result(Math.ceil(ratio * groups.readyPodCount));
  }
  if (groups.missing.size > 0) {
    // Scaling down, missing pods count as using their request (or the target, above 100%); scaling up, nothing.
    const fallback = Math.max(100, targetUtilization);
    for (const p of groups.missing) {
      if (ratio < 1) metrics.set(p, { value: idiv((requests.get(p) ?? 0) * fallback, 100), timestampMs: 0, windowMs: 0 });
      else if (ratio > 1) metrics.set(p, { value: 0, timestampMs: 0, windowMs: 0 });
    }
  }
  if (scaleUpWithUnready) for (const p of groups.unready) metrics.set(p, { value: 0, timestampMs: 0, windowMs: 0 });
  const next = resourceUtilizationRatio(metrics, requests, targetUtilization).ratio;
  return result(settle(ratio, next, metrics.size, currentReplicas, tolerances));
}

/** The count after filling in missing and unready pods: none when it would reverse the direction. */
function settle(ratio: number, next: number, counted: number, currentReplicas: number, tolerances: Tolerances): number {
  if (withinTolerance(tolerances, next) || (ratio < 1 && next > 1) || (ratio > 1 && next < 1)) return currentReplicas;
  const replicas = Math.ceil(next * counted);
  if ((next < 1 && replicas > currentReplicas) || (next > 1 && replicas < currentReplicas)) return currentReplicas;
  return replicas;
}

/** Replicas for a target average value (milli-units) of per-pod metrics (calcPlainMetricReplicas). */
export function plainMetricReplicas(input: CalculatorInput, targetUsage: number): { replicas: number; usage: number } {
  const { currentReplicas, tolerances } = input;
  const { metrics, groups } = countedMetrics(input);
  const { ratio, usage } = metricUsageRatio(metrics, targetUsage);

  const scaleUpWithUnready = groups.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (withinTolerance(tolerances, ratio)) return { replicas: currentReplicas, usage };
    return { replicas: Math.ceil(ratio * groups.readyPodCount), usage };
  }
  for (const p of groups.missing) {
    if (ratio < 1) metrics.set(p, { value: targetUsage, timestampMs: 0, windowMs: 0 });
    else if (ratio > 1) metrics.set(p, { value: 0, timestampMs: 0, windowMs: 0 });
  }
  if (scaleUpWithUnready) for (const p of groups.unready) metrics.set(p, { value: 0, timestampMs: 0, windowMs: 0 });
  const next = metricUsageRatio(metrics, targetUsage).ratio;
  return { replicas: settle(ratio, next, metrics.size, currentReplicas, tolerances), usage };
}
