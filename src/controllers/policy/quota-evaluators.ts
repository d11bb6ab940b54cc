// What quota counts for each kind of object: the resource names a kind
// answers for, the usage of one object, and which quota scopes it falls in.
// Pods, services and persistent volume claims have their own rules; every
// other namespaced resource is counted as `count/<resource>.<group>` (plus
// the legacy names `configmaps`, `secrets`, `replicationcontrollers`,
// `resourcequotas`).

import type { KubeObject } from '../../api/types.ts';
import { objAt, objsAt } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { isExtendedResourceName, isNativeResource } from '../../api/validation/resources.ts';
import { computeQOSClass } from '../../registry/strategies/core-pod.ts';
import type { ResourceDef } from '../../registry/types.ts';
import {
  addInto, addLists, intQuantity, podLimits, podRequests, readList, roundUpWhole, zeroQuantity,
} from './resources.ts';
import type { ResourceList } from './resources.ts';
import { cmpQuantity } from '../../api/validation/quantity.ts';

/** One requirement of a quota's scopes (spec.scopes entries are `Exists`). */
export interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values?: string[];
}

export type Operation = 'create' | 'update';

export interface Evaluator {
  readonly group: string;
  readonly resource: string;
  /** The names among `names` this evaluator measures. */
  matchingResources(names: readonly string[]): string[];
  /** What one object uses. */
  usage(obj: KubeObject, now: Date): ResourceList;
  /** Whether the object falls in a scope. */
  matchesScope(req: ScopeRequirement, obj: KubeObject): boolean;
  /** An error text when the object lacks what a quota tracking `required` demands. */
  constraints(required: readonly string[], obj: KubeObject): string | undefined;
  /** Whether admission must look at this operation. */
  handles(op: Operation): boolean;
}

/** `count/<resource>` or `count/<resource>.<group>`. */
export function objectCountName(group: string, resource: string): string {
  return group ? `count/${resource}.${group}` : `count/${resource}`;
}

const legacyAliases: Record<string, string> = {
  configmaps: 'configmaps', resourcequotas: 'resourcequotas',
  replicationcontrollers: 'replicationcontrollers', secrets: 'secrets',
};

const noScope = (): boolean => false;

function countEvaluator(group: string, resource: string): Evaluator {
  const names = [objectCountName(group, resource)];
  if (group === '' && Object.hasOwn(legacyAliases, resource)) names.push(legacyAliases[resource] as string);
  return {
    group, resource,
    matchingResources: (input) => input.filter((n) => names.includes(n)),
    usage: () => new Map(names.map((n) => [n, intQuantity(1)])),
    matchesScope: noScope,
    constraints: () => undefined,
    handles: (op) => op === 'create',
  };
}

// ---- pods ---------------------------------------------------------------

const podResources = new Set([
  'count/pods', 'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory',
  'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods',
]);

/** Resources a quota on them requires every container to declare (a historical rule kept for compatibility). */
const validationSet = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

/** The quota names a container's (or pod's) requests and limits account for. */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = new Map([['pods', intQuantity(1)]]);
  const pairs: [string, string, string][] = [
    ['cpu', 'requests.cpu', 'limits.cpu'],
    ['memory', 'requests.memory', 'limits.memory'],
    ['ephemeral-storage', 'requests.ephemeral-storage', 'limits.ephemeral-storage'],
  ];
  for (const [name, req, lim] of pairs) {
    const r = requests.get(name);
    if (r) { out.set(name, r); out.set(req, r); }
    const l = limits.get(name);
    if (l) out.set(lim, l);
  }
  for (const [name, q] of requests) {
    if (name.startsWith('hugepages-')) { out.set(name, q); out.set(`requests.${name}`, q); }
    if (isExtendedResourceName(name)) out.set(`requests.${name}`, q);
  }
  return out;
}

function specOf(obj: KubeObject): Obj {
  return objAt(obj.spec) ?? {};
}

/** Terminal pods and pods past their grace period are not charged compute resources. */
export function podChargeable(pod: KubeObject, now: Date): boolean {
  const phase = objAt(pod.status)?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return false;
  const del = pod.metadata.deletionTimestamp;
  const grace = pod.metadata.deletionGracePeriodSeconds;
  if (del && typeof grace === 'number') {
    if (now.getTime() > Date.parse(del) + grace * 1000) return false;
  }
  return true;
}

/** When a terminating pod stops being charged (undefined: not terminating). */
export function podChargeEnds(pod: KubeObject): number | undefined {
  const del = pod.metadata.deletionTimestamp;
  const grace = pod.metadata.deletionGracePeriodSeconds;
  if (!del || typeof grace !== 'number') return undefined;
  return Date.parse(del) + grace * 1000;
}

export function isBestEffort(pod: KubeObject): boolean {
  const qos = objAt(pod.status)?.qosClass;
  if (typeof qos === 'string' && qos !== '') return qos === 'BestEffort';
  return computeQOSClass(specOf(pod)) === 'BestEffort';
}

function isTerminating(pod: KubeObject): boolean {
  const ads = specOf(pod).activeDeadlineSeconds;
  return typeof ads === 'number' && ads >= 0;
}

/** A selector over one pseudo-label (the scope name) holding `value`, when present. */
function scopeSelectorMatches(req: ScopeRequirement, value: string | undefined): boolean {
  const has = value !== undefined && value !== '';
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In': return has && values.includes(value as string);
    case 'NotIn': return !(has && values.includes(value as string));
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    default: return false;
  }
}

function usesCrossNamespaceAffinity(pod: KubeObject): boolean {
  const affinity = objAt(specOf(pod).affinity);
  if (!affinity) return false;
  const crossNs = (term: Obj | undefined): boolean =>
    !!term && ((Array.isArray(term.namespaces) && term.namespaces.length > 0) || (term.namespaceSelector !== undefined && term.namespaceSelector !== null));
  for (const k of ['podAffinity', 'podAntiAffinity']) {
    const a = objAt(affinity[k]);
    if (!a) continue;
    if (objsAt(a.requiredDuringSchedulingIgnoredDuringExecution).some((t) => crossNs(t))) return true;
    if (objsAt(a.preferredDuringSchedulingIgnoredDuringExecution).some((t) => crossNs(objAt(t.podAffinityTerm)))) return true;
  }
  return false;
}

function podMatchesScope(req: ScopeRequirement, pod: KubeObject): boolean {
  switch (req.scopeName) {
    case 'Terminating': return isTerminating(pod);
    case 'NotTerminating': return !isTerminating(pod);
    case 'BestEffort': return isBestEffort(pod);
    case 'NotBestEffort': return !isBestEffort(pod);
    case 'PriorityClass': {
      const pc = specOf(pod).priorityClassName;
      return scopeSelectorMatches(req, typeof pc === 'string' ? pc : undefined);
    }
    case 'CrossNamespacePodAffinity': return usesCrossNamespaceAffinity(pod);
    default: return false;
  }
}

const podEvaluator: Evaluator = {
  group: '', resource: 'pods',
  matchingResources(input) {
    return input.filter((n) => podResources.has(n) || n.startsWith('hugepages-') || n.startsWith('requests.hugepages-') ||
      (!isNativeResource(n) && n.startsWith('requests.')));
  },
  usage(pod, now) {
    const out: ResourceList = new Map([['count/pods', intQuantity(1)]]);
    if (!podChargeable(pod, now)) return out;
    const spec = specOf(pod);
    return addLists(out, computeUsage(podRequests(spec), podLimits(spec)));
  },
  matchesScope: podMatchesScope,
  constraints(required, pod) {
    const need = required.filter((r) => validationSet.has(r));
    if (need.length === 0) return undefined;
    const missing = new Map<string, Set<string>>();
    const spec = specOf(pod);
    for (const c of [...objsAt(spec.containers), ...objsAt(spec.initContainers)]) {
      const res = objAt(c.resources);
      const has = computeUsage(readList(res?.requests), readList(res?.limits));
      for (const r of need) {
        if (has.has(r)) continue;
        let names = missing.get(r);
        if (!names) missing.set(r, (names = new Set()));
        names.add(typeof c.name === 'string' ? c.name : '');
      }
    }
    if (missing.size === 0) return undefined;
    const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...(missing.get(r) as Set<string>)].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  },
  handles: (op) => op === 'create',
};

// ---- services -----------------------------------------------------------

const serviceResources = ['count/services', 'services', 'services.nodeports', 'services.loadbalancers'];

const serviceEvaluator: Evaluator = {
  group: '', resource: 'services',
  matchingResources: (input) => input.filter((n) => serviceResources.includes(n)),
  usage(svc) {
    const spec = specOf(svc);
    const ports = Array.isArray(spec.ports) ? spec.ports.length : 0;
    const out: ResourceList = new Map([
      ['count/services', intQuantity(1)], ['services', intQuantity(1)],
      ['services.loadbalancers', zeroQuantity()], ['services.nodeports', zeroQuantity()],
    ]);
    if (spec.type === 'NodePort') {
      out.set('services.nodeports', intQuantity(ports));
    } else if (spec.type === 'LoadBalancer') {
      const withNodePorts = spec.allocateLoadBalancerNodePorts === false
        ? objsAt(spec.ports).filter((p) => typeof p.nodePort === 'number' && p.nodePort !== 0).length
        : ports;
      out.set('services.nodeports', intQuantity(withNodePorts));
      out.set('services.loadbalancers', intQuantity(1));
    }
    return out;
  },
  matchesScope: noScope,
  constraints: () => undefined,
  handles: () => true,
};

// ---- persistent volume claims ------------------------------------------

const storageClassSuffix = '.storageclass.storage.k8s.io/';
const pvcResources = ['persistentvolumeclaims', 'requests.storage'];

function pvcClass(pvc: KubeObject): string {
  const ann = pvc.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'];
  if (ann !== undefined) return ann;
  const sc = specOf(pvc).storageClassName;
  return typeof sc === 'string' ? sc : '';
}

function pvcVolumeAttributesClasses(pvc: KubeObject): string[] {
  const names = new Set<string>();
  const spec = specOf(pvc);
  const status = objAt(pvc.status);
  if (typeof spec.volumeAttributesClassName === 'string' && spec.volumeAttributesClassName) names.add(spec.volumeAttributesClassName);
  if (typeof status?.currentVolumeAttributesClassName === 'string' && status.currentVolumeAttributesClassName) {
    names.add(status.currentVolumeAttributesClassName);
  }
  const target = objAt(status?.modifyVolumeStatus)?.targetVolumeAttributesClassName;
  if (typeof target === 'string' && target) names.add(target);
  return [...names];
}

const pvcEvaluator: Evaluator = {
  group: '', resource: 'persistentvolumeclaims',
  matchingResources(input) {
    return input.filter((n) => n === 'count/persistentvolumeclaims' || pvcResources.includes(n) ||
      pvcResources.some((r) => n.endsWith(storageClassSuffix + r)));
  },
  usage(pvc) {
    const out: ResourceList = new Map([['persistentvolumeclaims', intQuantity(1)], ['count/persistentvolumeclaims', intQuantity(1)]]);
    const cls = pvcClass(pvc);
    if (cls) out.set(`${cls}${storageClassSuffix}persistentvolumeclaims`, intQuantity(1));
    const requested = readList(objAt(specOf(pvc).resources)?.requests).get('storage');
    let storage = requested ? roundUpWhole(requested) : undefined;
    const allocated = readList(objAt(pvc.status)?.allocatedResources).get('storage');
    if (storage && allocated && cmpQuantity(allocated, storage) > 0) storage = roundUpWhole(allocated);
    if (storage) {
      out.set('requests.storage', storage);
      if (cls) out.set(`${cls}${storageClassSuffix}requests.storage`, storage);
    }
    return out;
  },
  matchesScope(req, pvc) {
    if (req.scopeName !== 'VolumeAttributesClass') return false;
    const names = pvcVolumeAttributesClasses(pvc);
    if (req.operator === 'Exists') return names.length > 0;
    if (names.length === 0) return scopeSelectorMatches(req, undefined);
    return names.some((n) => scopeSelectorMatches(req, n));
  },
  constraints: () => undefined,
  handles: () => true,
};

// ---- lookup -------------------------------------------------------------

const special = new Map<string, Evaluator>([
  ['/pods', podEvaluator], ['/services', serviceEvaluator], ['/persistentvolumeclaims', pvcEvaluator],
]);

/** Resources never counted: not stored, or too noisy to quota. */
export function quotaIgnored(def: ResourceDef): boolean {
  if (def.virtual || def.scope !== 'Namespaced') return true;
  if (def.plural === 'events' && (def.group === '' || def.group === 'events.k8s.io')) return true;
  if (def.group === '' && (def.plural === 'bindings' || def.plural === 'componentstatuses')) return true;
  return false;
}

/** Whether the quota controller can count this resource (it can be created, listed, watched and deleted). */
export function quotable(def: ResourceDef): boolean {
  return !quotaIgnored(def) && ['create', 'list', 'watch', 'delete'].every((v) => (def.verbs as string[]).includes(v));
}

const countCache = new Map<string, Evaluator>();

export function evaluatorFor(group: string, resource: string): Evaluator {
  const key = `${group}/${resource}`;
  const s = special.get(key);
  if (s) return s;
  let e = countCache.get(key);
  if (!e) countCache.set(key, (e = countEvaluator(group, resource)));
  return e;
}

/** The quota's scopes as requirements: spec.scopes (as Exists) and spec.scopeSelector. */
export function quotaScopes(quota: KubeObject): ScopeRequirement[] {
  const spec = specOf(quota);
  const out: ScopeRequirement[] = [];
  if (Array.isArray(spec.scopes)) for (const s of spec.scopes) if (typeof s === 'string') out.push({ scopeName: s, operator: 'Exists' });
  const sel = objAt(spec.scopeSelector);
  for (const e of objsAt(sel?.matchExpressions)) {
    out.push({
      scopeName: typeof e.scopeName === 'string' ? e.scopeName : '',
      operator: typeof e.operator === 'string' ? e.operator : '',
      values: Array.isArray(e.values) ? e.values.filter((v): v is string => typeof v === 'string') : undefined,
    });
  }
  return out;
}

/** Whether the quota applies to the object: it tracks a resource the evaluator measures, and every scope matches. */
export function quotaMatches(ev: Evaluator, quota: KubeObject, obj: KubeObject): boolean {
  const hard = [...readList(objAt(quota.status)?.hard).keys()];
  if (ev.matchingResources(hard).length === 0) return false;
  return quotaScopes(quota).every((s) => ev.matchesScope(s, obj));
}

/** Sum the usage of `items` that fall in the quota's scopes, for `names` (each starts at zero). */
export function sumUsage(ev: Evaluator, items: Iterable<KubeObject>, scopes: readonly ScopeRequirement[], names: readonly string[], now: Date): ResourceList {
  const used: ResourceList = new Map(names.map((n) => [n, zeroQuantity()]));
  for (const item of items) {
    if (!scopes.every((s) => ev.matchesScope(s, item))) continue;
    addInto(used, ev.usage(item, now));
  }
  return used;
}
