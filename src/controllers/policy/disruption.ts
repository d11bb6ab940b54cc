// The disruption controller: keeps the status of every PodDisruptionBudget
// current (healthy pods now and wanted, expected pods, disruptions allowed,
// the DisruptionAllowed condition, evictions not yet seen through), and
// resets DisruptionTarget conditions of pods an eviction never deleted.

import { ApiError } from '../../api/errors.ts';
import type { KubeObject, OwnerReference } from '../../api/types.ts';
import { fromLabelSelector } from '../../api/selectors/labels.ts';
import { isObj, objAt, objsAt } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { listPrefix, resourcePrefix } from '../../registry/generic/keys.ts';
import { cloneObject, jsonEqual } from '../../registry/generic/metadata.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { VirtualCluster } from '../../server/cluster.ts';
import { getScale } from '../../server/handlers/scale.ts';
import type { ControllerContext } from '../context.ts';
import { Controller } from '../runtime.ts';
import { findCondition, setStatusCondition, updatePodCondition } from './conditions.ts';
import { isPodReady } from './resources.ts';

/** How long an approved eviction keeps its pod out of the healthy count before the pod must be terminating. */
export const deletionTimeoutMs = 2 * 60_000;
/** How long a pod may carry a DisruptionTarget condition without being deleted. */
export const stalePodDisruptionTimeoutMs = 2 * 60_000;

export const disruptionAllowedCondition = 'DisruptionAllowed';
export const sufficientPodsReason = 'SufficientPods';
export const insufficientPodsReason = 'InsufficientPods';
export const syncFailedReason = 'SyncFailed';

const manager = 'kube-controller-manager';
const component = 'controllermanager';

function spec(obj: KubeObject): Obj {
  return objAt(obj.spec) ?? {};
}

function status(obj: KubeObject): Obj {
  return objAt(obj.status) ?? {};
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

/** Whether a PDB's selector takes in these labels (a missing selector takes nothing, `{}` everything; a bad one nothing). */
export function pdbSelects(pdb: KubeObject, labels: Record<string, string> | undefined): boolean {
  try {
    return fromLabelSelector(spec(pdb).selector).matches(labels ?? {});
  } catch {
    return false;
  }
}

/** The PodDisruptionBudgets in the pod's namespace that select it, in name order. */
export function pdbsForPod(vc: VirtualCluster, pod: KubeObject): KubeObject[] {
  const def = vc.registry.find('policy', 'v1', 'poddisruptionbudgets');
  if (!def || !pod.metadata.namespace) return [];
  return [...vc.cache.scan(listPrefix(def, pod.metadata.namespace))].map((c) => c.obj).filter((p) => pdbSelects(p, pod.metadata.labels));
}

/** Update the DisruptionAllowed condition from status.disruptionsAllowed (mutates status.conditions). */
export function updateDisruptionAllowedCondition(st: Obj, now: Date): void {
  const conds: Obj[] = Array.isArray(st.conditions) ? st.conditions.filter(isObj) : [];
  const allowed = num(st.disruptionsAllowed) > 0;
  setStatusCondition(conds, {
    type: disruptionAllowedCondition,
    status: allowed ? 'True' : 'False',
    reason: allowed ? sufficientPodsReason : insufficientPodsReason,
    message: '',
    observedGeneration: num(st.observedGeneration),
  }, now);
  st.conditions = conds;
}

function conditionsUpToDate(pdb: KubeObject): boolean {
  const st = status(pdb);
  const cond = findCondition(st.conditions, disruptionAllowedCondition);
  if (!cond) return false;
  if (num(st.observedGeneration) !== num(pdb.metadata.generation)) return false;
  if (num(st.disruptionsAllowed) > 0) return cond.status === 'True' && cond.reason === sufficientPodsReason;
  return cond.status === 'False' && cond.reason === insufficientPodsReason;
}

/** intstr.GetScaledValueFromIntOrPercent with rounding up. */
function scaledValue(v: unknown, total: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (!v.endsWith('%')) throw new Error('invalid value for IntOrString: invalid type: string is not a percentage');
    const n = Number.parseInt(v.slice(0, -1), 10);
    if (!/^-?\d+$/.test(v.slice(0, -1)) || Number.isNaN(n)) throw new Error(`invalid value "${v}": strconv.Atoi: parsing "${v.slice(0, -1)}": invalid syntax`);
    return Math.ceil((n * total) / 100);
  }
  throw new Error('invalid value for IntOrString: invalid type: neither int nor percentage');
}

function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

function refIs(ref: OwnerReference, kind: string, groups: readonly string[]): boolean {
  return ref.kind === kind && groups.includes(groupOf(ref.apiVersion));
}

interface ControllerAndScale { uid: string; scale: number }

function replicasOf(obj: KubeObject): number {
  const r = spec(obj).replicas;
  return typeof r === 'number' ? r : 1;
}

/** Finds the workload behind a pod's controller reference and its scale, as upstream's finders do in turn. */
class ScaleFinder {
  private readonly vc: VirtualCluster;
  constructor(vc: VirtualCluster) { this.vc = vc; }

  private get(group: string, plural: string, ns: string, name: string): KubeObject | undefined {
    const def = this.vc.registry.resources.find((d) => d.group === group && d.plural === plural);
    return def ? this.vc.store.peek(def, ns, name) : undefined;
  }

  private rc(ref: OwnerReference, ns: string): ControllerAndScale | undefined {
    if (!refIs(ref, 'ReplicationController', [''])) return undefined;
    const rc = this.get('', 'replicationcontrollers', ns, ref.name);
    if (!rc || rc.metadata.uid !== ref.uid) return undefined;
    return { uid: rc.metadata.uid, scale: replicasOf(rc) };
  }

  private deployment(ref: OwnerReference, ns: string): ControllerAndScale | undefined {
    if (!refIs(ref, 'ReplicaSet', ['apps', 'extensions'])) return undefined;
    const rs = this.get('apps', 'replicasets', ns, ref.name);
    if (!rs || rs.metadata.uid !== ref.uid) return undefined;
    const dref = controllerOf(rs);
    if (!dref || !refIs(dref, 'Deployment', ['apps', 'extensions'])) return undefined;
    const d = this.get('apps', 'deployments', ns, dref.name);
    if (!d || d.metadata.uid !== dref.uid) return undefined;
    return { uid: d.metadata.uid, scale: replicasOf(d) };
  }

  private replicaSet(ref: OwnerReference, ns: string): ControllerAndScale | undefined {
    if (!refIs(ref, 'ReplicaSet', ['apps', 'extensions'])) return undefined;
    const rs = this.get('apps', 'replicasets', ns, ref.name);
    if (!rs || rs.metadata.uid !== ref.uid) return undefined;
    const owner = controllerOf(rs);
    if (owner && owner.kind === 'Deployment') return undefined;
    return { uid: rs.metadata.uid, scale: replicasOf(rs) };
  }

  private statefulSet(ref: OwnerReference, ns: string): ControllerAndScale | undefined {
    if (!refIs(ref, 'StatefulSet', ['apps'])) return undefined;
    const ss = this.get('apps', 'statefulsets', ns, ref.name);
    if (!ss || ss.metadata.uid !== ref.uid) return undefined;
    return { uid: ss.metadata.uid, scale: replicasOf(ss) };
  }

  /** Any other kind: through its scale subresource. */
  private scaled(ref: OwnerReference, ns: string): ControllerAndScale | undefined {
    const group = groupOf(ref.apiVersion);
    const version = ref.apiVersion.slice(ref.apiVersion.indexOf('/') + 1);
    const def: ResourceDef | undefined = this.vc.registry.byGroupVersionKind(group, version, ref.kind) ??
      this.vc.registry.resources.find((d) => d.group === group && d.kind === ref.kind);
    if (!def) throw new Error(`no matches for kind "${ref.kind}" in version "${ref.apiVersion}"`);
    if (!def.subresources?.some((s) => s.name === 'scale')) {
      throw new Error(`${def.group ? `${def.plural}.${def.group}` : def.plural} does not implement the scale subresource`);
    }
    const obj = this.vc.store.peek(def, ns, ref.name);
    if (!obj || obj.metadata.uid !== ref.uid) return undefined;
    const replicas = (getScale(def, obj).spec as { replicas: number }).replicas;
    return { uid: obj.metadata.uid, scale: replicas };
  }

  find(ref: OwnerReference, ns: string): ControllerAndScale | undefined {
    return this.rc(ref, ns) ?? this.deployment(ref, ns) ?? this.replicaSet(ref, ns) ?? this.statefulSet(ref, ns) ?? this.scaled(ref, ns);
  }
}

interface Expected { expectedCount: number; desiredHealthy: number; unmanaged: string[] }

function expectedScale(vc: VirtualCluster, pods: readonly KubeObject[]): { count: number; unmanaged: string[] } {
  const scales = new Map<string, number>();
  const unmanaged: string[] = [];
  const finder = new ScaleFinder(vc);
  for (const pod of pods) {
    const ref = controllerOf(pod);
    if (!ref) { unmanaged.push(pod.metadata.name as string); continue; }
    if (scales.has(ref.uid)) continue;
    const found = finder.find(ref, pod.metadata.namespace as string);
    if (!found) throw new Error(`found no controllers for pod "${pod.metadata.name}"`);
    scales.set(found.uid, found.scale);
  }
  let count = 0;
  for (const n of scales.values()) count += n;
  return { count, unmanaged };
}

function expectedPodCount(vc: VirtualCluster, pdb: KubeObject, pods: readonly KubeObject[]): Expected {
  const sp = spec(pdb);
  const maxUnavailable = sp.maxUnavailable, minAvailable = sp.minAvailable;
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    const { count, unmanaged } = expectedScale(vc, pods);
    const mu = scaledValue(maxUnavailable, count);
    return { expectedCount: count, desiredHealthy: Math.max(0, count - mu), unmanaged };
  }
  if (minAvailable !== undefined && minAvailable !== null) {
    if (typeof minAvailable === 'number') return { expectedCount: pods.length, desiredHealthy: minAvailable, unmanaged: [] };
    const { count, unmanaged } = expectedScale(vc, pods);
    return { expectedCount: count, desiredHealthy: scaledValue(minAvailable, count), unmanaged };
  }
  return { expectedCount: 0, desiredHealthy: 0, unmanaged: [] };
}

/** metav1.LabelSelector's String(), as events print a selector. */
function selectorString(sel: unknown): string {
  if (!isObj(sel)) return '<nil>';
  const labels = isObj(sel.matchLabels) ? sel.matchLabels : {};
  const ml = Object.keys(labels).sort().map((k) => `${k}: ${String(labels[k])},`).join('');
  const exprs = objsAt(sel.matchExpressions).map((e) => {
    const values = Array.isArray(e.values) ? e.values.map(String).join(' ') : '';
    return `LabelSelectorRequirement{Key:${String(e.key ?? '')},Operator:${String(e.operator ?? '')},Values:[${values}],},`;
  }).join('');
  return `&LabelSelector{MatchLabels:map[string]string{${ml}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}

function timeOf(v: unknown): number {
  return typeof v === 'string' ? Date.parse(v) : Number.NaN;
}

/**
 * Keep every PodDisruptionBudget's status current. Returns a function that
 * stops the controller.
 */
export function startDisruptionController(ctx: ControllerContext): () => void {
  const vc = ctx.vc;
  const pdbDef = vc.registry.find('policy', 'v1', 'poddisruptionbudgets');
  const podDef = vc.registry.find('', 'v1', 'pods');
  if (!pdbDef || !podDef) return () => {};
  const pdbPrefix = resourcePrefix(pdbDef);

  const writeStatus = async (pdb: KubeObject, st: Obj): Promise<void> => {
    await vc.store.update(pdbDef, pdb.metadata.namespace, pdb.metadata.name as string, { ...cloneObject(pdb), status: st },
      { subresource: 'status', fieldManager: manager });
  };

  const failSafe = async (pdb: KubeObject, err: Error): Promise<void> => {
    const st = cloneObject(status(pdb));
    st.disruptionsAllowed = 0;
    const conds: Obj[] = Array.isArray(st.conditions) ? st.conditions.filter(isObj) : [];
    setStatusCondition(conds, {
      type: disruptionAllowedCondition, status: 'False', reason: syncFailedReason, message: err.message,
      observedGeneration: num(st.observedGeneration),
    }, ctx.now());
    st.conditions = conds;
    await writeStatus(pdb, orderStatus(st));
  };

  const trySync = async (pdb: KubeObject): Promise<number | undefined> => {
    const ns = pdb.metadata.namespace as string;
    let selector;
    try {
      selector = fromLabelSelector(spec(pdb).selector);
    } catch (e) {
      void ctx.events.record(pdb, 'Warning', 'NoPods', `Failed to get pods: ${(e as Error).message}`, component);
      throw e;
    }
    const pods = [...vc.cache.scan(listPrefix(podDef, ns))].map((c) => c.obj).filter((p) => selector.matches(p.metadata.labels ?? {}));
    if (pods.length === 0) void ctx.events.record(pdb, 'Normal', 'NoPods', 'No matching pods found', component);
    let expected: Expected;
    try {
      expected = expectedPodCount(vc, pdb, pods);
    } catch (e) {
      void ctx.events.record(pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${(e as Error).message}`, component);
      throw e;
    }
    if (expected.unmanaged.length > 0) {
      void ctx.events.record(pdb, 'Warning', 'UnmanagedPods', `Pods selected by this PodDisruptionBudget (selector: ${selectorString(spec(pdb).selector)}) were found ` +
        'to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. ' +
        'To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.', component);
    }
    const now = ctx.now();
    // Evictions approved but not yet seen through: their pods do not count as healthy for a while.
    const recorded = objAt(status(pdb).disruptedPods) ?? {};
    const disrupted: Record<string, string> = {};
    let recheck: number | undefined;
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp) continue;
      const at = recorded[pod.metadata.name as string];
      if (typeof at !== 'string') continue;
      const deadline = timeOf(at) + deletionTimeoutMs;
      if (deadline < now.getTime()) {
        void ctx.events.record(pod, 'Warning', 'NotDeleted', `Pod was expected by PDB ${ns}/${ns} to be deleted but it wasn't`, component);
      } else {
        if (recheck === undefined || deadline < recheck) recheck = deadline;
        disrupted[pod.metadata.name as string] = at;
      }
    }
    let currentHealthy = 0;
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp) continue;
      const at = disrupted[pod.metadata.name as string];
      if (at !== undefined && timeOf(at) + deletionTimeoutMs > now.getTime()) continue;
      if (isPodReady(pod)) currentHealthy++;
    }
    const { expectedCount, desiredHealthy } = expected;
    let disruptionsAllowed = currentHealthy - desiredHealthy;
    if (expectedCount <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
    const st = status(pdb);
    const generation = num(pdb.metadata.generation);
    const same = num(st.currentHealthy) === currentHealthy && num(st.desiredHealthy) === desiredHealthy &&
      num(st.expectedPods) === expectedCount && num(st.disruptionsAllowed) === disruptionsAllowed &&
      jsonEqual(objAt(st.disruptedPods) ?? {}, disrupted) && num(st.observedGeneration) === generation && conditionsUpToDate(pdb);
    if (!same) {
      const next: Obj = {
        observedGeneration: generation, disruptedPods: disrupted, disruptionsAllowed, currentHealthy, desiredHealthy,
        expectedPods: expectedCount, conditions: cloneObject(Array.isArray(st.conditions) ? st.conditions : []),
      };
      updateDisruptionAllowedCondition(next, now);
      await writeStatus(pdb, orderStatus(next));
    }
    return recheck === undefined ? undefined : Math.max(0, recheck - now.getTime());
  };

  let stopped = false;
  const pdbs = new Controller('disruption', async (key) => {
    const [ns, name] = key.split('/') as [string, string];
    const pdb = vc.store.peek(pdbDef, ns, name);
    if (!pdb || stopped) return;
    try {
      const recheck = await trySync(pdb);
      if (recheck !== undefined) return { requeueAfterMs: recheck + 10 };
    } catch (e) {
      if (stopped) return;
      if (e instanceof ApiError && (e.code === 409 || e.code === 404)) throw e;
      await failSafe(pdb, e as Error);
    }
  });

  // Pods whose DisruptionTarget condition went stale: no deletion followed the eviction.
  const stale = new Controller('disruption-stale-pods', async (key) => {
    const [ns, name] = key.split('/') as [string, string];
    const pod = vc.store.peek(podDef, ns, name);
    if (!pod || stopped) return;
    const wait = staleWait(pod, ctx.now());
    if (wait === undefined) return;
    if (wait > 0) return { requeueAfterMs: wait };
    await vc.store.guaranteedUpdate(podDef, ns, name, (cur) => {
      const p = cur as KubeObject;
      const st = (objAt(p.status) ?? {}) as Obj;
      const conds: Obj[] = Array.isArray(st.conditions) ? st.conditions.filter(isObj) : [];
      updatePodCondition(conds, { type: 'DisruptionTarget', status: 'False' }, ctx.now());
      st.conditions = conds;
      p.status = st;
      return p;
    }, { subresource: 'status', fieldManager: manager });
  });

  const enqueuePdb = (pdb: KubeObject): void => pdbs.enqueue(`${pdb.metadata.namespace}/${pdb.metadata.name}`);

  const unsubPdbs = vc.cache.subscribe({ prefix: pdbPrefix, onEvent: (ev) => enqueuePdb(ev.obj) });
  const unsubPods = vc.cache.subscribe({
    prefix: resourcePrefix(podDef),
    onEvent(ev) {
      const pod = ev.obj;
      const matched = pdbsForPod(vc, pod);
      for (const p of matched) enqueuePdb(p);
      if (ev.prev && !jsonEqual(ev.prev.metadata.labels, pod.metadata.labels)) for (const p of pdbsForPod(vc, ev.prev)) enqueuePdb(p);
      if (ev.type === 'DELETED') return;
      if (matched.length > 1) {
        void ctx.events.record(pod, 'Warning', 'MultiplePodDisruptionBudgets',
          `Pod "${pod.metadata.namespace}"/"${pod.metadata.name}" matches multiple PodDisruptionBudgets.  Chose "${matched[0]?.metadata.name}" arbitrarily.`, component);
      }
      if (staleWait(pod, ctx.now()) !== undefined) stale.enqueue(`${pod.metadata.namespace}/${pod.metadata.name}`);
    },
  });
  // A workload scaled up or down changes how many pods its budgets expect.
  const unsubWorkloads: Array<() => void> = [];
  for (const [group, plural] of [['apps', 'deployments'], ['apps', 'replicasets'], ['apps', 'statefulsets'], ['', 'replicationcontrollers']] as const) {
    const def = vc.registry.resources.find((d) => d.group === group && d.plural === plural);
    if (!def) continue;
    unsubWorkloads.push(vc.cache.subscribe({
      prefix: resourcePrefix(def),
      onEvent(ev) {
        if (ev.type === 'MODIFIED' && ev.prev && spec(ev.prev).replicas === spec(ev.obj).replicas) return;
        for (const c of vc.cache.scan(listPrefix(pdbDef, ev.obj.metadata.namespace))) enqueuePdb(c.obj);
      },
    }));
  }
  for (const c of vc.cache.scan(pdbPrefix)) enqueuePdb(c.obj);
  for (const c of vc.cache.scan(resourcePrefix(podDef))) {
    if (staleWait(c.obj, ctx.now()) !== undefined) stale.enqueue(`${c.obj.metadata.namespace}/${c.obj.metadata.name}`);
  }
  return () => {
    stopped = true;
    unsubPdbs(); unsubPods(); for (const u of unsubWorkloads) u();
    pdbs.stop(); stale.stop();
  };
}

/** PodDisruptionBudgetStatus fields in the order Go writes them; empty maps and lists left out. */
function orderStatus(st: Obj): Obj {
  const out: Obj = {};
  if (num(st.observedGeneration)) out.observedGeneration = st.observedGeneration;
  const dp = objAt(st.disruptedPods);
  if (dp && Object.keys(dp).length > 0) out.disruptedPods = Object.fromEntries(Object.entries(dp).sort(([a], [b]) => (a < b ? -1 : 1)));
  out.disruptionsAllowed = num(st.disruptionsAllowed);
  out.currentHealthy = num(st.currentHealthy);
  out.desiredHealthy = num(st.desiredHealthy);
  out.expectedPods = num(st.expectedPods);
  if (Array.isArray(st.conditions) && st.conditions.length > 0) out.conditions = st.conditions;
  return out;
}

/**
 * For a pod with a stale-able DisruptionTarget condition: milliseconds until
 * it goes stale (0: now); undefined when the pod has none or is on its way out.
 */
function staleWait(pod: KubeObject, now: Date): number | undefined {
  if (pod.metadata.deletionTimestamp) return undefined;
  const st = status(pod);
  const cond = findCondition(st.conditions, 'DisruptionTarget');
  if (!cond || cond.status !== 'True' || cond.reason === 'TerminationByKubelet') return undefined;
  if (st.phase === 'Succeeded' || st.phase === 'Failed') return undefined;
  const since = timeOf(cond.lastTransitionTime);
  const elapsed = Number.isNaN(since) ? stalePodDisruptionTimeoutMs : now.getTime() - since;
  return Math.max(0, stalePodDisruptionTimeoutMs - elapsed);
}

