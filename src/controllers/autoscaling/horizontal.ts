// The HorizontalPodAutoscaler controller, as kube-controller-manager's
// podautoscaler runs it: every sync period (15 s) each autoscaler reads its
// target's scale (Deployment, ReplicaSet, StatefulSet, ReplicationController,
// or a custom resource with a scale subresource), computes the replicas each
// metric asks for (resource metrics from the cluster's Metrics API; custom and
// external metrics are not served here), takes the largest, stabilizes and
// bounds it (spec.behavior or the defaults), writes the new size to the
// target as `kubectl scale` would, and reports status, conditions and events
// with upstream's texts.

import type { KubeObject } from '../../api/types.ts';
import { parseLabelSelector, type LabelSelector } from '../../api/selectors/labels.ts';
import { quantityString, milliValue, parseQuantity } from '../../api/validation/quantity.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import { cloneObject, jsonEqual } from '../../registry/generic/metadata.ts';
import type { CacheEvent } from '../../registry/generic/watch-cache.ts';
import type { ResourceDef } from '../../registry/types.ts';
import { getScale, scaleView, setReplicas } from '../../server/handlers/scale.ts';
import type { ControllerContext } from '../context.ts';
import { Controller, type Result } from '../runtime.ts';
import { splitKey } from '../workloads/util.ts';
import {
  normalizeWithBehavior, normalizeWithoutBehavior, storeScaleEvent, type Recommendation, type ScaleEvent,
} from './normalize.ts';
import { CalculationError, plainMetricReplicas, resourceReplicas, type Readiness, type Tolerances } from './replicas.ts';
import { externalMetricError, objectMetricError, podsMetricError, resourceMetrics } from './sources.ts';
import {
  hpaSpec, metricsOf, rfc3339, scaleDownRules, scaleUpRules, setCondition, toleranceOf,
  type HPASpec, type HPAStatus, type MetricSpec, type MetricStatus, type MetricTarget,
} from './status.ts';

/** kube-controller-manager's --horizontal-pod-autoscaler-* settings. */
export interface HorizontalOptions {
  /** --horizontal-pod-autoscaler-sync-period (15 s). */
  syncPeriodMs?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (5 min). */
  downscaleStabilizationMs?: number;
  /** --horizontal-pod-autoscaler-tolerance (0.1). */
  tolerance?: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period (5 min). */
  cpuInitializationPeriodMs?: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay (30 s). */
  initialReadinessDelayMs?: number;
}

export const horizontalDefaults: Required<HorizontalOptions> = {
  syncPeriodMs: 15_000,
  downscaleStabilizationMs: 300_000,
  tolerance: 0.1,
  cpuInitializationPeriodMs: 300_000,
  initialReadinessDelayMs: 30_000,
};

const component = 'horizontal-pod-autoscaler';
/** The manager of the controller's writes: kube-controller-manager's user agent. */
const fieldManager = 'kube-controller-manager';

/** What the controller remembers of one autoscaler between syncs. */
interface Memory {
  recommendations?: Recommendation[];
  upEvents: ScaleEvent[];
  downEvents: ScaleEvent[];
  /** The pods' selector of its target, as last read (to find autoscalers sharing pods). */
  selector?: LabelSelector;
}

/** A metric that could not give a count: the ScalingActive condition it sets, and the error. */
class MetricError extends Error {
  readonly reason: string;
  readonly conditionMessage: string;
  constructor(message: string, reason: string, conditionMessage: string) {
    super(message);
    this.reason = reason;
    this.conditionMessage = conditionMessage;
  }
}

/** The target's scale could not be read. */
class ScaleError extends Error {}

interface Proposal {
  replicas: number;
  metric: string;
  status: MetricStatus;
}

function goGroupResource(def: ResourceDef, sub = ''): string {
  return `${def.plural}${sub}${def.group ? `.${def.group}` : ''}`;
}

function milliOfQuantity(q: unknown): number {
  if (typeof q !== 'string' && typeof q !== 'number') return 0;
  const parsed = parseQuantity(q);
  return typeof parsed === 'string' ? 0 : Number(milliValue(parsed));
}

/** A milli-value as a quantity: memory in binary units (as metrics-server reports it), the rest decimal. */
function buildQuantity(resource: string, milli: number): string {
  return quantityString({ mantissa: BigInt(Math.trunc(milli)), exp: -3, format: resource === 'memory' ? 'BinarySI' : 'DecimalSI' });
}

export class HorizontalController {
  private readonly ctx: ControllerContext;
  private readonly opts: Required<HorizontalOptions>;
  private readonly hpaDef: ResourceDef;
  private readonly podPrefix: string;
  private readonly memory = new Map<string, Memory>();

  constructor(ctx: ControllerContext, opts: HorizontalOptions = {}) {
    this.ctx = ctx;
    this.opts = { ...horizontalDefaults, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) };
    this.hpaDef = ctx.def('autoscaling', 'v2', 'horizontalpodautoscalers');
    this.podPrefix = resourcePrefix(ctx.def('', 'v1', 'pods'));
  }

  get syncPeriodMs(): number { return this.opts.syncPeriodMs; }

  /** Sync one autoscaler; it syncs again after the sync period while it exists. */
  async reconcile(key: string): Promise<Result | void> {
    const [ns, name] = splitKey(key);
    const hpa = this.ctx.vc.store.peek(this.hpaDef, ns, name);
    if (!hpa) {
      this.memory.delete(key);
      return;
    }
    try {
      await this.sync(key, hpa);
    } catch (e) {
      console.error(`kubevisor: horizontal-pod-autoscaler: ${key}: ${(e as Error).message}`);
    }
    return { requeueAfterMs: this.opts.syncPeriodMs };
  }

  private remembered(key: string): Memory {
    let m = this.memory.get(key);
    if (!m) this.memory.set(key, m = { upEvents: [], downEvents: [] });
    return m;
  }

  private event(hpa: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.ctx.events.record(hpa, type, reason, message, component);
  }

  private async sync(key: string, stored: KubeObject): Promise<void> {
    const hpa = cloneObject(stored);
    const spec = hpaSpec(hpa);
    const original = (stored.status ?? { desiredReplicas: 0 }) as HPAStatus;
    const status = cloneObject(original);
    const now = this.ctx.now();
    const nowMs = now.getTime();
    const ts = rfc3339(now);
    const ns = hpa.metadata.namespace ?? '';
    const mem = this.remembered(key);
    const ref = spec.scaleTargetRef ?? {};
    const reference = `${ref.kind ?? ''}/${ns}/${ref.name ?? ''}`;

    let target: { def: ResourceDef; obj: KubeObject };
    try {
      target = this.scaleTarget(ref, ns);
    } catch (e) {
      if (!(e instanceof ScaleError)) throw e;
      this.event(hpa, 'Warning', 'FailedGetScale', e.message);
      setCondition(status, 'AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${e.message}`, ts);
      await this.writeStatus(hpa, original, status);
      return;
    }
    setCondition(status, 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale", ts);
    const scale = getScale(target.def, target.obj) as unknown as { spec: { replicas: number }; status: { replicas: number; selector: string } };
    const currentReplicas = scale.spec.replicas;
    mem.recommendations ??= [{ replicas: currentReplicas, atMs: nowMs }];

    const minReplicas = spec.minReplicas ?? 1;
    const maxReplicas = spec.maxReplicas ?? 0;
    let desired = 0;
    let reason = '';
    let rescale = true;
    let statuses: MetricStatus[] | null = null;

    if (currentReplicas === 0 && minReplicas !== 0) {
      // Scaled to zero by hand: autoscaling is off until someone scales it up again.
      rescale = false;
      setCondition(status, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero', ts);
    } else if (currentReplicas > maxReplicas) {
      reason = 'Current number of replicas above Spec.MaxReplicas';
      desired = maxReplicas;
    } else if (currentReplicas < minReplicas) {
      reason = 'Current number of replicas below Spec.MinReplicas';
      desired = minReplicas;
    } else {
      const computed = await this.computeReplicasForMetrics(key, hpa, spec, status, scale, ts, nowMs);
      statuses = computed.statuses;
      if (computed.failed) {
        this.setStatus(status, currentReplicas, status.desiredReplicas, statuses, false, ts);
        await this.writeStatus(hpa, original, status);
        this.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', computed.error ?? '');
        return;
      }
      let metric = '';
      if (computed.replicas > desired) {
        desired = computed.replicas;
        metric = computed.metric;
      }
      if (desired > currentReplicas) reason = `${metric} above target`;
      if (desired < currentReplicas) reason = 'All metrics below target';
      const normalized = spec.behavior
        ? normalizeWithBehavior(mem.recommendations, {
          current: currentReplicas, desired, min: minReplicas, max: maxReplicas, nowMs,
          scaleUp: scaleUpRules(spec.behavior.scaleUp),
          scaleDown: scaleDownRules(spec.behavior.scaleDown, this.opts.downscaleStabilizationMs / 1000),
          upEvents: mem.upEvents, downEvents: mem.downEvents,
        })
        : normalizeWithoutBehavior(mem.recommendations, {
          current: currentReplicas, desired, min: minReplicas, max: maxReplicas, nowMs, downscaleWindowMs: this.opts.downscaleStabilizationMs,
        });
      setCondition(status, 'AbleToScale', 'True', normalized.ableReason, normalized.ableMessage, ts);
      setCondition(status, 'ScalingLimited', normalized.limited ? 'True' : 'False', normalized.limitReason, normalized.limitMessage, ts);
      desired = normalized.replicas;
      rescale = desired !== currentReplicas;
    }

    if (rescale) {
      try {
        await this.ctx.vc.store.guaranteedUpdate(target.def, ns, target.obj.metadata.name as string, (cur) => {
          if (!cur) throw new Error(`${goGroupResource(target.def, '/scale')} "${target.obj.metadata.name ?? ''}" not found`);
          setReplicas(target.def, cur, desired);
          return cur;
        }, { fieldManager, view: scaleView(target.def) });
      } catch (e) {
        const msg = (e as Error).message;
        this.event(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${reason}; error: ${msg}`);
        setCondition(status, 'AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${msg}`, ts);
        this.setStatus(status, currentReplicas, status.desiredReplicas, statuses, false, ts);
        await this.writeStatus(hpa, original, status);
        return;
      }
      setCondition(status, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`, ts);
      this.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
      if (spec.behavior) {
        if (desired > currentReplicas) storeScaleEvent(mem.upEvents, scaleUpRules(spec.behavior.scaleUp), desired - currentReplicas, nowMs);
        else storeScaleEvent(mem.downEvents, scaleDownRules(spec.behavior.scaleDown, 0), currentReplicas - desired, nowMs);
      }
    } else {
      desired = currentReplicas;
    }
    this.setStatus(status, currentReplicas, desired, statuses, rescale, ts);
    await this.writeStatus(hpa, original, status);
  }

  /** The status upstream's setStatus makes: the whole of it anew, keeping conditions and lastScaleTime. */
  private setStatus(status: HPAStatus, current: number, desired: number, metrics: MetricStatus[] | null, rescale: boolean, ts: string): void {
    const conditions = status.conditions;
    const lastScaleTime = rescale ? ts : status.lastScaleTime;
    for (const k of Object.keys(status)) delete (status as unknown as Record<string, unknown>)[k];
    if (lastScaleTime) status.lastScaleTime = lastScaleTime;
    if (current !== 0) status.currentReplicas = current;
    status.desiredReplicas = desired;
    status.currentMetrics = metrics;
    if (conditions && conditions.length > 0) status.conditions = conditions;
  }

  /** Write the status when it changed (updateStatusIfNeeded). */
  private async writeStatus(hpa: KubeObject, original: HPAStatus, status: HPAStatus): Promise<void> {
    if (jsonEqual(original, status)) return;
    const uid = hpa.metadata.uid;
    try {
      await this.ctx.vc.store.guaranteedUpdate(this.hpaDef, hpa.metadata.namespace, hpa.metadata.name as string, (cur) => {
        if (!cur || cur.metadata.uid !== uid) throw new Error(`horizontalpodautoscalers.autoscaling "${hpa.metadata.name ?? ''}" not found`);
        cur.status = status as unknown as Record<string, unknown>;
        return cur;
      }, { subresource: 'status', fieldManager });
    } catch (e) {
      this.event(hpa, 'Warning', 'FailedUpdateStatus', (e as Error).message);
      throw new Error(`failed to update status for ${hpa.metadata.name ?? ''}: ${(e as Error).message}`);
    }
  }

  /** The target's resource and object, as the scale client finds them (RESTMappings, then GET …/scale). */
  private scaleTarget(ref: NonNullable<HPASpec['scaleTargetRef']>, ns: string): { def: ResourceDef; obj: KubeObject } {
    const apiVersion = ref.apiVersion ?? '';
    const parts = apiVersion === '' ? [] : apiVersion.split('/');
    if (parts.length > 2) throw new ScaleError(`unexpected GroupVersion string: ${apiVersion}`);
    const group = parts.length === 2 ? parts[0] as string : '';
    const version = parts.length === 2 ? parts[1] as string : parts[0] ?? '';
    const kind = ref.kind ?? '';
    const registry = this.ctx.vc.registry;
    const def = registry.byGroupVersionKind(group, version, kind) ?? registry.resources.find((d) => d.group === group && d.kind === kind);
    if (!def) throw new ScaleError(`no matches for kind "${kind}" in group "${group}"`);
    const name = ref.name ?? '';
    if (!def.subresources?.some((s) => s.name === 'scale')) {
      throw new ScaleError(`the server could not find the requested resource (get ${goGroupResource(def)} ${name})`);
    }
    const obj = this.ctx.vc.store.peek(def, ns, name);
    if (!obj) throw new ScaleError(`${goGroupResource(def, def.custom ? '' : '/scale')} "${name}" not found`);
    return { def, obj };
  }

  /** The pods of a namespace a selector selects. */
  private podsSelected(ns: string, selector: LabelSelector): KubeObject[] {
    const out: KubeObject[] = [];
    for (const c of this.ctx.vc.cache.scan(`${this.podPrefix}${ns}/`)) if (selector.matches(c.obj.metadata.labels)) out.push(c.obj);
    return out;
  }

  private tolerances(spec: HPASpec): Tolerances {
    const b = spec.behavior;
    return {
      scaleDown: toleranceOf(b?.scaleDown?.tolerance) ?? this.opts.tolerance,
      scaleUp: toleranceOf(b?.scaleUp?.tolerance) ?? this.opts.tolerance,
    };
  }

  /**
   * The largest count the metrics ask for (computeReplicasForMetrics): failed
   * when every metric failed, or some did and the rest would scale down.
   */
  private async computeReplicasForMetrics(key: string, hpa: KubeObject, spec: HPASpec, status: HPAStatus,
    scale: { spec: { replicas: number }; status: { replicas: number; selector: string } }, ts: string, nowMs: number,
  ): Promise<{ failed: boolean; replicas: number; metric: string; statuses: MetricStatus[] | null; error?: string }> {
    const ns = hpa.metadata.namespace ?? '';
    const fail = (error: string, statuses: MetricStatus[] | null = null) => ({ failed: true, replicas: -1, metric: '', statuses, error });
    const selectorText = scale.status.selector;
    if (selectorText === '') {
      this.event(hpa, 'Warning', 'SelectorRequired', 'selector is required');
      setCondition(status, 'ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector", ts);
      return fail('selector is required');
    }
    let selector: LabelSelector;
    try {
      selector = parseLabelSelector(selectorText);
    } catch (e) {
      const msg = `couldn't convert selector into a corresponding internal selector object: ${(e as Error).message}`;
      this.event(hpa, 'Warning', 'InvalidSelector', msg);
      setCondition(status, 'ScalingActive', 'False', 'InvalidSelector', msg, ts);
      return fail(msg);
    }
    this.remembered(key).selector = selector;
    const pods = this.podsSelected(ns, selector);
    const sharing = new Set<string>();
    for (const [other, m] of this.memory) {
      if (!m.selector || !other.startsWith(`${ns}/`)) continue;
      if (pods.some((p) => m.selector?.matches(p.metadata.labels))) sharing.add(other);
    }
    if (sharing.size > 1) {
      const msg = `pods by selector ${selectorText} are controlled by multiple HPAs: [${[...sharing].sort().join(' ')}]`;
      this.event(hpa, 'Warning', 'AmbiguousSelector', msg);
      setCondition(status, 'ScalingActive', 'False', 'AmbiguousSelector', msg, ts);
      return fail(msg);
    }

    const specs = metricsOf(spec);
    const statuses: MetricStatus[] = specs.map(() => ({ type: '' }));
    let replicas = 0, metric = '', invalid = 0;
    let first: MetricError | undefined;
    for (let i = 0; i < specs.length; i++) {
      try {
        const p = await this.computeReplicasForMetric(hpa, spec, specs[i] as MetricSpec, scale.spec.replicas, pods, nowMs);
        statuses[i] = p.status;
        if (replicas === 0 || p.replicas > replicas) {
          replicas = p.replicas;
          metric = p.metric;
        }
      } catch (e) {
        if (!(e instanceof MetricError)) throw e;
        first ??= e;
        invalid++;
      }
    }
    const error = first ? `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${first.message}` : undefined;
    if (first && (invalid >= specs.length || replicas < scale.spec.replicas)) {
      setCondition(status, 'ScalingActive', 'False', first.reason, first.conditionMessage, ts);
      return fail(error as string, statuses);
    }
    setCondition(status, 'ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${metric}`, ts);
    return { failed: false, replicas, metric, statuses, error };
  }

  /** One metric's proposal (computeReplicasForMetric); MetricError with upstream's texts when it fails. */
  private async computeReplicasForMetric(hpa: KubeObject, spec: HPASpec, m: MetricSpec, specReplicas: number,
    pods: readonly KubeObject[], nowMs: number): Promise<Proposal> {
    const ns = hpa.metadata.namespace ?? '';
    /** Record the failure as upstream's getUnableComputeReplicaCountCondition does. */
    const unable = (reason: string, err: string, returned = err): MetricError => {
      this.event(hpa, 'Warning', reason, err);
      return new MetricError(returned, reason, `the HPA was unable to compute the replica count: ${err}`);
    };
    switch (m.type) {
      case 'Resource': {
        const name = m.resource?.name ?? '';
        try {
          const r = await this.resourceProposal(spec, m.resource?.target ?? {}, name, '', specReplicas, pods, nowMs);
          return { ...r, status: { type: 'Resource', resource: { name, current: r.current } } };
        } catch (e) {
          if (!(e instanceof CalculationError)) throw e;
          const err = unable('FailedGetResourceMetric', e.message);
          throw new MetricError(`failed to get ${name} resource metric value: ${e.message}`, err.reason, err.conditionMessage);
        }
      }
      case 'ContainerResource': {
        const name = m.containerResource?.name ?? '';
        const container = m.containerResource?.container ?? '';
        try {
          const r = await this.resourceProposal(spec, m.containerResource?.target ?? {}, name, container, specReplicas, pods, nowMs);
          return { ...r, status: { type: 'ContainerResource', containerResource: { name, container, current: r.current } } };
        } catch (e) {
          if (!(e instanceof CalculationError)) throw e;
          const err = unable('FailedGetContainerResourceMetric', e.message);
          throw new MetricError(`failed to get ${container} container metric value: ${e.message}`, err.reason, err.conditionMessage);
        }
      }
      case 'Pods': {
        const err = podsMetricError(m.pods?.metric).message;
        throw unable('FailedGetPodsMetric', err, `failed to get pods metric value: ${err}`);
      }
      case 'Object': {
        const t = m.object?.target ?? {};
        let err: string, returned: string;
        if (t.type === 'Value' && t.value !== undefined) {
          err = objectMetricError(m.object?.metric, m.object?.describedObject, ns).message;
          returned = err;
        } else if (t.type === 'AverageValue' && t.averageValue !== undefined) {
          err = objectMetricError(m.object?.metric, m.object?.describedObject, ns).message;
          returned = `failed to get ${m.object?.metric?.name ?? ''} object metric: ${err}`;
        } else {
          err = returned = 'invalid object metric source: neither a value target nor an average value target was set';
        }
        throw unable('FailedGetObjectMetric', err, `failed to get object metric value: ${returned}`);
      }
      case 'External': {
        const t = m.external?.target ?? {};
        const name = m.external?.metric?.name ?? '';
        let err: string, returned: string;
        if (t.averageValue !== undefined) {
          err = externalMetricError(m.external?.metric, ns).message;
          returned = `failed to get ${name} external metric: ${err}`;
        } else if (t.value !== undefined) {
          err = externalMetricError(m.external?.metric, ns).message;
          returned = `failed to get external metric ${name}: ${err}`;
        } else {
          err = returned = 'invalid external metric source: neither a value target nor an average value target was set';
        }
        throw unable('FailedGetExternalMetric', err, `failed to get ${name} external metric value: ${returned}`);
      }
      default: {
        const err = `unknown metric source type "${m.type ?? ''}"`;
        throw unable('InvalidMetricSourceType', err);
      }
    }
  }

  /** A (container) resource metric: utilization of the requests, or an average value (computeStatusForResourceMetricGeneric). */
  private async resourceProposal(spec: HPASpec, target: MetricTarget, resource: string, container: string, specReplicas: number,
    pods: readonly KubeObject[], nowMs: number): Promise<{ replicas: number; metric: string; current: Record<string, unknown> }> {
    const readiness: Readiness = {
      cpuInitializationPeriodMs: this.opts.cpuInitializationPeriodMs, initialReadinessDelayMs: this.opts.initialReadinessDelayMs,
    };
    const fetch = async () => {
      try {
        return await resourceMetrics(this.ctx.vc, pods, resource, container);
      } catch (e) {
        if (e instanceof CalculationError) throw new CalculationError(`unable to get metrics for resource ${resource}: ${e.message}`);
        throw e;
      }
    };
    const input = { currentReplicas: specReplicas, pods, resource, container, tolerances: this.tolerances(spec), readiness, nowMs };
    if (target.averageValue !== undefined && target.averageValue !== null) {
      try {
        const { metrics } = await fetch();
        const r = plainMetricReplicas({ ...input, metrics }, milliOfQuantity(target.averageValue));
        return { replicas: r.replicas, metric: `${resource} resource`, current: { averageValue: buildQuantity(resource, r.usage) } };
      } catch (e) {
        if (e instanceof CalculationError) throw new CalculationError(`failed to get ${resource} usage: ${e.message}`);
        throw e;
      }
    }
    if (target.averageUtilization === undefined || target.averageUtilization === null) {
      throw new CalculationError('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
    }
    try {
      const { metrics } = await fetch();
      const r = resourceReplicas({ ...input, metrics }, target.averageUtilization);
      const metric = container === ''
        ? `${resource} resource utilization (percentage of request)`
        : `${resource} container resource utilization (percentage of request)`;
      return { replicas: r.replicas, metric, current: { averageUtilization: r.utilization, averageValue: buildQuantity(resource, r.rawUtilization) } };
    } catch (e) {
      if (e instanceof CalculationError) throw new CalculationError(`failed to get ${resource} utilization: ${e.message}`);
      throw e;
    }
  }
}

/** Start the HPA controller: each autoscaler syncs when it appears or its spec changes, then every sync period. */
export function startHorizontalPodAutoscalerController(ctx: ControllerContext, opts: HorizontalOptions = {}): () => void {
  const hpas = new HorizontalController(ctx, opts);
  const prefix = resourcePrefix(ctx.def('autoscaling', 'v2', 'horizontalpodautoscalers'));
  // Upstream's --concurrent-horizontal-pod-autoscaler-syncs.
  const controller = new Controller('horizontal-pod-autoscaler', (key) => hpas.reconcile(key), { workers: 5 });
  const keyOf = (ev: CacheEvent): string | undefined => {
    // Its own status writes wait for the next period, as upstream's rate-limited requeue does.
    if (ev.type === 'MODIFIED' && ev.prev && jsonEqual(ev.prev.spec, ev.obj.spec)) return undefined;
    return `${ev.obj.metadata.namespace ?? ''}/${ev.obj.metadata.name ?? ''}`;
  };
  const unwatch = controller.watch(ctx.vc.cache, prefix, keyOf);
  for (const c of ctx.vc.cache.scan(prefix)) controller.enqueue(`${c.obj.metadata.namespace ?? ''}/${c.obj.metadata.name ?? ''}`);
  return () => { unwatch(); void controller.stop(); };
}
