// The ReplicaSet controller, which also runs ReplicationControllers (upstream
// runs one implementation for both): keep spec.replicas active pods made from
// the template, adopt matching orphans and release pods that stopped matching,
// delete the least valuable pods first, and report replicas, fully labeled,
// ready and available counts, observedGeneration and the ReplicaFailure condition.

import type { LabelSelector } from '../../api/selectors/labels.ts';
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import { cloneObject, jsonEqual } from '../../registry/generic/metadata.ts';
import type { CacheEvent } from '../../registry/generic/watch-cache.ts';
import type { ControllerContext } from '../context.ts';
import { Controller, type Result } from '../runtime.ts';
import { podsToDelete } from './pod-ranking.ts';
import {
  availableFrom, claimChildren, controllerOf, fieldManager, getCondition, isConflict, isNamespaceTerminating, isNotFound,
  isPodActive, isPodAvailable, isPodReady, keyOf, labelSelectorOf, labelsContain, mapSelectorOf, newControllerRef,
  refersTo, removeCondition, setCondition, splitKey, timestamp, type Condition, type PodTemplate,
} from './util.ts';

/** Most pods one sync creates or deletes (upstream's burstReplicas). */
const burstReplicas = 500;

interface ReplicaKind {
  /** The controller's name in logs. */
  name: string;
  /** The event source. */
  component: string;
  group: string;
  version: string;
  plural: string;
  kind: string;
  /** The selector of an object of this kind (throws when invalid). */
  selector(obj: KubeObject): LabelSelector;
}

export const replicaSetKind: ReplicaKind = {
  name: 'replicaset', component: 'replicaset-controller',
  group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet',
  selector: (rs) => labelSelectorOf((rs.spec as { selector?: unknown } | undefined)?.selector),
};

export const replicationControllerKind: ReplicaKind = {
  name: 'replicationcontroller', component: 'replication-controller',
  group: '', version: 'v1', plural: 'replicationcontrollers', kind: 'ReplicationController',
  selector: (rc) => mapSelectorOf((rc.spec as { selector?: unknown } | undefined)?.selector),
};

interface ReplicaSpec {
  replicas?: number;
  minReadySeconds?: number;
  template?: PodTemplate;
}

export interface ReplicaStatus {
  replicas?: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: Condition[];
}

function specOf(obj: KubeObject): ReplicaSpec {
  return (isPlainObject(obj.spec) ? obj.spec : {}) as ReplicaSpec;
}

function statusOf(obj: KubeObject): ReplicaStatus {
  return (isPlainObject(obj.status) ? obj.status : {}) as ReplicaStatus;
}

/** The status upstream computes from the active pods the controller owns. */
export function calculateReplicaStatus(rs: KubeObject, pods: readonly KubeObject[], manageErr: Error | undefined, now: Date): ReplicaStatus {
  const spec = specOf(rs);
  const old = statusOf(rs);
  const minReady = spec.minReadySeconds ?? 0;
  const templateLabels = spec.template?.metadata?.labels;
  let fullyLabeled = 0, ready = 0, available = 0;
  for (const pod of pods) {
    if (labelsContain(pod.metadata.labels, templateLabels)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
  }
  const conds: { conditions?: Condition[] } = { conditions: old.conditions ? cloneObject(old.conditions) : undefined };
  const failure = getCondition(old.conditions, 'ReplicaFailure');
  if (manageErr && !failure) {
    const diff = pods.length - (spec.replicas ?? 1);
    const reason = diff < 0 ? 'FailedCreate' : diff > 0 ? 'FailedDelete' : '';
    setCondition(conds, { type: 'ReplicaFailure', status: 'True', lastTransitionTime: timestamp(now), reason, message: manageErr.message });
  } else if (!manageErr && failure) {
    removeCondition(conds, 'ReplicaFailure');
  }
  return serializeStatus({
    replicas: pods.length, fullyLabeledReplicas: fullyLabeled, readyReplicas: ready, availableReplicas: available,
    observedGeneration: old.observedGeneration, conditions: conds.conditions,
  });
}

/** Field order and omitted zeros as the API serializes a ReplicaSet status. */
function serializeStatus(s: ReplicaStatus): ReplicaStatus {
  const st: ReplicaStatus = { replicas: s.replicas ?? 0 };
  if (s.fullyLabeledReplicas) st.fullyLabeledReplicas = s.fullyLabeledReplicas;
  if (s.readyReplicas) st.readyReplicas = s.readyReplicas;
  if (s.availableReplicas) st.availableReplicas = s.availableReplicas;
  if (s.observedGeneration) st.observedGeneration = s.observedGeneration;
  if (s.conditions && s.conditions.length > 0) st.conditions = s.conditions;
  return st;
}

function startReplicaController(ctx: ControllerContext, kind: ReplicaKind): () => void {
  const { vc } = ctx;
  const store = vc.store;
  const def = ctx.def(kind.group, kind.version, kind.plural);
  const podDef = ctx.def('', 'v1', 'pods');
  const apiVersion = kind.group ? `${kind.group}/${kind.version}` : kind.version;
  const prefix = resourcePrefix(def);
  const podPrefix = resourcePrefix(podDef);

  const ownsRef = (ref: ReturnType<typeof controllerOf>) => refersTo(ref, kind.group, kind.kind);

  /** Pods that `uid` controls or that have no controller: what it may claim. */
  function claimablePods(ns: string, uid: string): KubeObject[] {
    return vc.cache.claimable(`${podPrefix}${ns}/`, uid).map((c) => c.obj);
  }

  function podsControlledBy(ns: string, uids: Iterable<string>): KubeObject[] {
    const out: KubeObject[] = [];
    for (const uid of uids) for (const c of vc.cache.controlledBy(`${podPrefix}${ns}/`, uid)) out.push(c.obj);
    return out;
  }

  function objectsIn(ns: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const c of vc.cache.scan(`${prefix}${ns}/`)) out.push(c.obj);
    return out;
  }

  function selectorOrUndefined(obj: KubeObject): LabelSelector | undefined {
    try { return kind.selector(obj); } catch { return undefined; }
  }

  /** Active pods controlled by any object under the same controller as `rs` (for node co-location ranks). */
  function relatedPods(rs: KubeObject, ns: string): KubeObject[] {
    const owner = controllerOf(rs);
    const uids = new Set<string>();
    if (!owner) uids.add(rs.metadata.uid as string);
    else for (const o of objectsIn(ns)) if (controllerOf(o)?.uid === owner.uid) uids.add(o.metadata.uid as string);
    return podsControlledBy(ns, uids);
  }

  async function createPod(rs: KubeObject): Promise<void> {
    const ns = rs.metadata.namespace as string;
    const tmpl = specOf(rs).template ?? {};
    const meta = tmpl.metadata ?? {};
    const labels = { ...(meta.labels ?? {}) };
    if (Object.keys(labels).length === 0) throw new Error('unable to create pods, no labels');
    const name = rs.metadata.name as string;
    const pod: KubeObject = {
      metadata: {
        generateName: `${name}-`,
        labels,
        ownerReferences: [newControllerRef(rs, apiVersion, kind.kind)],
      },
      spec: cloneObject(tmpl.spec ?? {}),
    };
    if (meta.annotations && Object.keys(meta.annotations).length > 0) pod.metadata.annotations = { ...meta.annotations };
    if (meta.finalizers && meta.finalizers.length > 0) pod.metadata.finalizers = [...meta.finalizers];
    let created: KubeObject;
    try {
      created = await store.create(podDef, ns, pod, { fieldManager });
    } catch (e) {
      if (!isNamespaceTerminating(e)) {
        void ctx.events.record(rs, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`, kind.component);
      }
      throw e;
    }
    void ctx.events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`, kind.component);
  }

  async function deletePod(rs: KubeObject, pod: KubeObject): Promise<void> {
    const name = pod.metadata.name as string;
    try {
      await store.delete(podDef, pod.metadata.namespace, name, { fieldManager });
    } catch (e) {
      if (isNotFound(e)) throw e;
      void ctx.events.record(rs, 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`, kind.component);
      throw new Error(`unable to delete pods: ${(e as Error).message}`);
    }
    void ctx.events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`, kind.component);
  }

  /** Create or delete pods until `pods` (the active pods rs owns) number spec.replicas. */
  async function manageReplicas(rs: KubeObject, pods: readonly KubeObject[]): Promise<void> {
    const want = specOf(rs).replicas ?? 1;
    const diff = pods.length - want;
    if (diff < 0) {
      // Slow start: batches of 1, 2, 4, ... stop at the first batch with a failure.
      let remaining = Math.min(-diff, burstReplicas);
      for (let batch = Math.min(remaining, 1); batch > 0; batch = Math.min(2 * batch, remaining)) {
        const results = await Promise.allSettled(Array.from({ length: batch }, () => createPod(rs)));
        const failed = results.find((r) => r.status === 'rejected');
        if (failed) {
          const err = (failed as PromiseRejectedResult).reason;
          if (isNamespaceTerminating(err)) return;
          throw err;
        }
        remaining -= batch;
      }
    } else if (diff > 0) {
      const n = Math.min(diff, burstReplicas);
      const victims = podsToDelete(pods, relatedPods(rs, rs.metadata.namespace as string), n, ctx.now());
      const results = await Promise.allSettled(victims.map((p) => deletePod(rs, p)));
      for (const r of results) {
        if (r.status === 'rejected' && !isNotFound(r.reason)) throw r.reason;
      }
    }
  }

  async function sync(key: string): Promise<Result | void> {
    const [ns, name] = splitKey(key);
    const rs = store.peek(def, ns, name);
    if (!rs) return;
    let selector: LabelSelector;
    try {
      selector = kind.selector(rs);
    } catch (e) {
      console.error(`kubevisor: controller ${kind.name}: ${key}: error converting pod selector to selector: ${(e as Error).message}`);
      return;
    }
    const active = claimablePods(ns, rs.metadata.uid as string).filter(isPodActive);
    const pods = await claimChildren({
      store, def: podDef, owner: rs, ownerApiVersion: apiVersion, ownerKind: kind.kind,
      match: (p) => selector.matches(p.metadata.labels),
      canAdopt: () => {
        const fresh = store.peek(def, ns, name);
        if (!fresh || fresh.metadata.uid !== rs.metadata.uid) return `original ${kind.kind} ${ns}/${name} is gone`;
        if (fresh.metadata.deletionTimestamp) return `${kind.kind} ${ns}/${name} has just been deleted at ${fresh.metadata.deletionTimestamp}`;
        return undefined;
      },
    }, active);

    let manageErr: Error | undefined;
    if (!rs.metadata.deletionTimestamp) {
      try {
        await manageReplicas(rs, pods);
      } catch (e) {
        manageErr = e as Error;
      }
    }
    const now = ctx.now();
    const next = calculateReplicaStatus(rs, pods, manageErr, now);
    const cur = statusOf(rs);
    const generation = rs.metadata.generation ?? 0;
    const unchanged = (cur.replicas ?? 0) === (next.replicas ?? 0) &&
      (cur.fullyLabeledReplicas ?? 0) === (next.fullyLabeledReplicas ?? 0) &&
      (cur.readyReplicas ?? 0) === (next.readyReplicas ?? 0) &&
      (cur.availableReplicas ?? 0) === (next.availableReplicas ?? 0) &&
      generation === (cur.observedGeneration ?? 0) &&
      jsonEqual(cur.conditions ?? [], next.conditions ?? []);
    let result: KubeObject = rs;
    if (!unchanged) {
      // Record the generation this sync acted on.
      const ordered = serializeStatus({ ...next, observedGeneration: generation });
      try {
        ({ obj: result } = await store.guaranteedUpdate(def, ns, name, (obj) => {
          if (!obj || obj.metadata.uid !== rs.metadata.uid) throw new Error(`${kind.kind} ${key} is gone`);
          obj.status = ordered;
          return obj;
        }, { subresource: 'status', fieldManager }));
      } catch (e) {
        if (isNotFound(e) || !store.peek(def, ns, name)) return;
        throw e;
      }
    }
    if (manageErr) throw manageErr;
    return availabilityRecheck(result, pods, now);
  }

  /** Look again when a ready pod reaches minReadySeconds (the only time-based change). */
  function availabilityRecheck(rs: KubeObject, pods: readonly KubeObject[], now: Date): Result | void {
    const minReady = specOf(rs).minReadySeconds ?? 0;
    if (minReady <= 0) return;
    let soonest = Infinity;
    for (const p of pods) {
      const from = availableFrom(p, minReady);
      if (from !== undefined && from >= now.getTime()) soonest = Math.min(soonest, from);
    }
    if (soonest === Infinity) return;
    return { requeueAfterMs: Math.max(1, soonest - now.getTime() + 5) };
  }

  const controller = new Controller(kind.name, async (key) => {
    try {
      return await sync(key);
    } catch (e) {
      // Someone else wrote first; their write brings us back with fresh state.
      if (isConflict(e)) return { requeueAfterMs: 20 };
      throw e;
    }
  }, { workers: 5 }); // upstream's --concurrent-replicaset-syncs

  function onPod(ev: CacheEvent): void {
    const pod = ev.obj;
    const ns = pod.metadata.namespace as string;
    const ref = controllerOf(pod);
    const oldRef = controllerOf(ev.prev);
    if (oldRef && ownsRef(oldRef) && oldRef.uid !== ref?.uid) controller.enqueue(`${ns}/${oldRef.name}`);
    if (ref) {
      if (ownsRef(ref)) controller.enqueue(`${ns}/${ref.name}`);
      return;
    }
    if (ev.type === 'DELETED') return;
    if (ev.type === 'MODIFIED' && ev.prev && !oldRef && jsonEqual(ev.prev.metadata.labels ?? {}, pod.metadata.labels ?? {})) return;
    // An orphan: every object here whose selector matches may adopt it.
    for (const o of objectsIn(ns)) {
      const sel = selectorOrUndefined(o);
      if (sel && !sel.empty && sel.matches(pod.metadata.labels)) controller.enqueue(keyOf(o));
    }
  }

  const unwatch = [
    controller.watch(vc.cache, prefix, (ev) => keyOf(ev.obj)),
    vc.cache.subscribe({ prefix: podPrefix, onEvent: onPod }),
  ];
  for (const c of vc.cache.scan(prefix)) controller.enqueue(keyOf(c.obj));
  return () => { for (const u of unwatch) u(); controller.stop(); };
}

/** Start the ReplicaSet controller; returns a function that stops it. */
export function startReplicaSetController(ctx: ControllerContext): () => void {
  return startReplicaController(ctx, replicaSetKind);
}

/** Start the ReplicationController manager; returns a function that stops it. */
export function startReplicationControllerController(ctx: ControllerContext): () => void {
  return startReplicaController(ctx, replicationControllerKind);
}
