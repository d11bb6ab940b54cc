// The DaemonSet controller: one pod per eligible node (nodeSelector, required
// node affinity, taints against the pod's tolerations plus the ones every
// daemon pod gets), each pinned to its node through required node affinity
// `matchFields metadata.name In [node]` for the scheduler to honour, as
// upstream does since 1.12; failed pods replaced with backoff; RollingUpdate
// (maxUnavailable or maxSurge) and OnDelete updates; ControllerRevisions named
// `<ds>-<hash>`; and the status kubectl rollout status reads. It follows the
// behaviour of kube-controller-manager's daemonset controller.

import { ApiError } from '../../api/errors.ts';
import type { KubeObject, ObjectMeta } from '../../api/types.ts';
import { selectorConvertible, selectorMatches } from '../../api/validation/labelselector.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import { jsonEqual } from '../../registry/generic/metadata.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { CacheEvent } from '../../registry/generic/watch-cache.ts';
import type { ControllerContext } from '../context.ts';
import { Controller } from '../runtime.ts';
import type { Result } from '../runtime.ts';
import {
  addDaemonPodTolerations, fitsNodeAffinity, nodeTaints, replaceNodeNameAffinity, targetNodeName, untoleratedTaint,
} from './scheduling.ts';
import { podFromTemplate } from './statefulset.ts';
import {
  cached, canonicalJson, claimableBy, claimObjects, clone, controllerRefOf, fieldManager, fnv1a, isAlreadyExists, isNotFound,
  isPodAvailable, isPodReady, isPodTerminal, msUntilAvailable, newControllerRef, podPhase, safeEncode, scaledValue,
  slowStart, templatePatch, utf8,
} from './util.ts';
import type { Pod, PodSpec, PodTemplate, Revision } from './util.ts';
import { compareUtf8 } from '../../api/decode/go-text.ts';

/** The pod and revision label holding the revision's hash. */
export const daemonSetRevisionLabel = 'controller-revision-hash';
/** The pod label holding the DaemonSet's template generation (kept for compatibility). */
export const templateGenerationLabel = 'pod-template-generation';
export const templateGenerationAnnotation = 'deprecated.daemonset.template.generation';

const component = 'daemonset-controller';
const dsApiVersion = 'apps/v1';
const dsKind = 'DaemonSet';
/** At most this many pod creations or deletions in one sync. */
const burstReplicas = 250;
const backoffInitialMs = 1000;
const backoffMaxMs = 15 * 60 * 1000;

interface DaemonSetSpec {
  selector?: unknown;
  template?: PodTemplate;
  updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } | null };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
}

interface DaemonSetStatus {
  currentNumberScheduled?: number;
  numberMisscheduled?: number;
  desiredNumberScheduled?: number;
  numberReady?: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
  conditions?: unknown[];
}

interface DaemonSet extends KubeObject {
  spec: DaemonSetSpec;
  status?: DaemonSetStatus;
}

function templateGeneration(ds: DaemonSet): number | undefined {
  const v = ds.metadata.annotations?.[templateGenerationAnnotation];
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

/** controller.ComputeHash: FNV-1a of the pod template, then the collision count as 8 little-endian bytes. */
export function templateHash(template: unknown, collisionCount: number | undefined): string {
  let h = fnv1a(utf8(canonicalJson(template ?? {})));
  if (collisionCount !== undefined) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv1a(b, h);
  }
  return safeEncode(String(h));
}

/** Whether a pod carries the current revision's hash (or, for old pods, the current template generation). */
function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  const generationMatches = generation !== undefined && labels[templateGenerationLabel] === String(generation);
  return (hash.length > 0 && labels[daemonSetRevisionLabel] === hash) || generationMatches;
}

/** Bound pods first, then oldest first, then by name. */
function byCreation(a: Pod, b: Pod): number {
  const an = a.spec?.nodeName ? 0 : 1;
  const bn = b.spec?.nodeName ? 0 : 1;
  if (an !== bn) return an - bn;
  const at = String(a.metadata.creationTimestamp ?? '');
  const bt = String(b.metadata.creationTimestamp ?? '');
  if (at !== bt) return at < bt ? -1 : 1;
  return String(a.metadata.name) < String(b.metadata.name) ? -1 : String(a.metadata.name) > String(b.metadata.name) ? 1 : 0;
}

function maxSurgeOf(ds: DaemonSet, desired: number): number {
  const us = ds.spec.updateStrategy;
  if (us?.type !== 'RollingUpdate' || !us.rollingUpdate || us.rollingUpdate.maxSurge === undefined) return 0;
  return scaledValue(us.rollingUpdate.maxSurge, desired, true) ?? 0;
}

function maxUnavailableOf(ds: DaemonSet, desired: number): number {
  const us = ds.spec.updateStrategy;
  if (us?.type !== 'RollingUpdate' || !us.rollingUpdate) return 0;
  return scaledValue(us.rollingUpdate.maxUnavailable ?? 1, desired, true) ?? 0;
}

function allowsSurge(ds: DaemonSet): boolean {
  return maxSurgeOf(ds, 1) !== 0;
}

/** The spec a daemon pod would get: the template's, with the daemon tolerations. */
function daemonPodSpec(ds: DaemonSet): PodSpec {
  const spec = clone(ds.spec.template?.spec ?? {});
  addDaemonPodTolerations(spec);
  return spec;
}

/**
 * Whether a node should run the daemon pod, and whether a pod already there
 * may keep running (it may when only NoSchedule taints keep new pods away).
 */
export function nodeShouldRunDaemonPod(node: KubeObject, ds: DaemonSet, spec = daemonPodSpec(ds)): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const want = ds.spec.template?.spec?.nodeName;
  if (want && want !== node.metadata.name) return { shouldRun: false, shouldContinueRunning: false };
  if (!fitsNodeAffinity(spec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = nodeTaints(node);
  const tolerations = spec.tolerations ?? [];
  if (untoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute' || t.effect === 'NoSchedule')) {
    const noExecute = untoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute');
    return { shouldRun: false, shouldContinueRunning: !noExecute };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

interface Defs { ds: ResourceDef; pod: ResourceDef; node: ResourceDef; rev: ResourceDef }

class DaemonSetSync {
  private readonly ctx: ControllerContext;
  private readonly defs: Defs;
  /** Failed-pod deletion backoff per DaemonSet, generation and node. */
  private readonly backoff = new Map<string, { delay: number; last: number }>();
  private requeue: number | undefined;

  constructor(ctx: ControllerContext, defs: Defs) {
    this.ctx = ctx;
    this.defs = defs;
  }

  private get store() { return this.ctx.vc.store; }

  private event(ds: DaemonSet, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    return this.ctx.events.record(ds, type, reason, message, component);
  }

  private requeueAfter(ms: number): void {
    if (this.requeue === undefined || ms < this.requeue) this.requeue = Math.max(1, ms);
  }

  async sync(key: string): Promise<Result | void> {
    const [ns, name] = key.split('/') as [string, string];
    const ds = this.store.peek(this.defs.ds, ns, name) as DaemonSet | undefined;
    this.requeue = undefined;
    if (!ds || !ds.spec || typeof ds.spec !== 'object' || !selectorConvertible(ds.spec.selector)) return;
    const nodes = cached(this.ctx, this.defs.node, undefined).sort((a, b) => compareUtf8(String(a.metadata.name), String(b.metadata.name)));
    if (jsonEqual(ds.spec.selector, {})) {
      await this.event(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    // The history of a DaemonSet being deleted may be gone already: its status cannot be trusted.
    if (ds.metadata.deletionTimestamp) return;
    const { cur, old } = await this.constructHistory(ds);
    const hash = cur.metadata.labels?.[daemonSetRevisionLabel] ?? '';
    let failure: unknown;
    try {
      await this.manage(ds, nodes, hash);
      if (ds.spec.updateStrategy?.type === 'RollingUpdate') await this.rollingUpdate(ds, nodes, hash);
      await this.cleanupHistory(ds, old);
    } catch (e) {
      failure = e;
    }
    try {
      await this.updateStatus(ds, nodes, hash);
    } catch (e) {
      failure ??= e;
    }
    if (failure !== undefined) throw failure;
    if (this.requeue !== undefined) return { requeueAfterMs: this.requeue };
  }

  // ---- pods ----

  /** The pods this DaemonSet controls (adopting and releasing as needed), by the node each is for. */
  private async podsByNode(ds: DaemonSet, includeDeletedTerminal: boolean): Promise<Map<string, Pod[]>> {
    const claimed = await claimObjects({
      ctx: this.ctx, def: this.defs.pod, owner: ds, ownerApiVersion: dsApiVersion, ownerKind: dsKind, selector: ds.spec.selector,
    }, claimableBy(this.ctx, this.defs.pod, ds)) as Pod[];
    const out = new Map<string, Pod[]>();
    for (const pod of claimed) {
      if (!includeDeletedTerminal && isPodTerminal(pod) && pod.metadata.deletionTimestamp) continue;
      const node = targetNodeName(pod.spec);
      if (!node) continue;
      const list = out.get(node);
      if (list) list.push(pod); else out.set(node, [pod]);
    }
    return out;
  }

  private podsShouldBeOnNode(node: KubeObject, byNode: Map<string, Pod[]>, ds: DaemonSet, hash: string, spec: PodSpec):
    { create: string[]; remove: Pod[]; events: [string, string, string][] } {
    const create: string[] = [];
    const remove: Pod[] = [];
    const events: [string, string, string][] = [];
    const nodeName = node.metadata.name as string;
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds, spec);
    const daemonPods = byNode.get(nodeName);
    if (shouldRun && !daemonPods) {
      create.push(nodeName);
    } else if (shouldContinueRunning) {
      const running: Pod[] = [];
      for (const pod of daemonPods ?? []) {
        if (pod.metadata.deletionTimestamp) continue;
        const phase = podPhase(pod);
        if (phase === 'Failed') {
          // The kubelet may keep rejecting the pod: replace it with backoff, not in a hot loop.
          const key = `${ds.metadata.uid}/${ds.status?.observedGeneration ?? 0}/${nodeName}`;
          const now = this.ctx.now().getTime();
          const b = this.backoff.get(key);
          if (b && now - b.last < b.delay) {
            this.requeueAfter(b.delay - (now - b.last) + 10);
            continue;
          }
          const delay = !b || now - b.last > 2 * backoffMaxMs ? backoffInitialMs : Math.min(b.delay * 2, backoffMaxMs);
          this.backoff.set(key, { delay, last: now });
          events.push(['Warning', 'FailedDaemonPod', `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${nodeName}, will try to kill it`]);
          remove.push(pod);
        } else if (phase === 'Succeeded') {
          events.push(['Normal', 'SucceededDaemonPod', `Found succeeded daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${nodeName}, will try to delete it`]);
          remove.push(pod);
        } else {
          running.push(pod);
        }
      }
      running.sort(byCreation);
      if (!allowsSurge(ds)) {
        // Without surge, only the oldest pod stays.
        for (const p of running.slice(1)) remove.push(p);
      } else if (running.length <= 1) {
        if (running.length === 0 && shouldRun) create.push(nodeName);
      } else {
        // With surge, an old and a new pod may overlap until the new one is available.
        const generation = templateGeneration(ds);
        let oldestNew: Pod | undefined;
        let oldestOld: Pod | undefined;
        for (const pod of running) {
          if (isPodUpdated(pod, hash, generation)) {
            if (!oldestNew) { oldestNew = pod; continue; }
          } else if (!oldestOld) {
            oldestOld = pod;
            continue;
          }
          remove.push(pod);
        }
        if (oldestNew && oldestOld) {
          if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec.minReadySeconds ?? 0, this.ctx.now())) remove.push(oldestOld);
        }
      }
    } else if (daemonPods) {
      for (const pod of daemonPods) if (!pod.metadata.deletionTimestamp) remove.push(pod);
    }
    return { create, remove, events };
  }

  private async manage(ds: DaemonSet, nodes: KubeObject[], hash: string): Promise<void> {
    const byNode = await this.podsByNode(ds, false);
    const spec = daemonPodSpec(ds);
    const create: string[] = [];
    const remove: Pod[] = [];
    for (const node of nodes) {
      const r = this.podsShouldBeOnNode(node, byNode, ds, hash, spec);
      create.push(...r.create);
      remove.push(...r.remove);
      for (const [type, reason, msg] of r.events) await this.event(ds, type as 'Normal' | 'Warning', reason, msg);
    }
    // Pods for nodes that no longer exist never get scheduled, so nothing else removes them.
    const existing = new Set(nodes.map((n) => n.metadata.name as string));
    for (const [node, list] of byNode) {
      if (existing.has(node)) continue;
      for (const p of list) if (!p.spec?.nodeName) remove.push(p);
    }
    await this.syncNodes(ds, remove, create, hash);
  }

  /** Delete the given pods and create one pod for each of the given nodes. */
  private async syncNodes(ds: DaemonSet, remove: Pod[], create: string[], hash: string): Promise<void> {
    const errors: unknown[] = [];
    const nCreate = Math.min(create.length, burstReplicas);
    const generation = templateGeneration(ds);
    const template = clone(ds.spec.template ?? {});
    const spec = template.spec ?? (template.spec = {});
    addDaemonPodTolerations(spec);
    const labels = { ...(template.metadata?.labels ?? {}) };
    if (generation !== undefined) labels[templateGenerationLabel] = String(generation);
    if (hash) labels[daemonSetRevisionLabel] = hash;
    template.metadata = { ...(template.metadata ?? {}), labels };
    const ref = newControllerRef(ds, dsApiVersion, dsKind);
    errors.push(...await slowStart(nCreate, async (i) => {
      const t = clone(template);
      (t.spec as PodSpec).affinity = replaceNodeNameAffinity((t.spec as PodSpec).affinity, create[i] as string);
      await this.createPod(ds, podFromTemplate(t, ds, ref));
    }));
    const nDelete = Math.min(remove.length, burstReplicas);
    const results = await Promise.allSettled(remove.slice(0, nDelete).map((p) => this.deletePod(ds, p)));
    for (const r of results) if (r.status === 'rejected' && !isNotFound(r.reason)) errors.push(r.reason);
    if (errors.length > 0) throw errors[0];
  }

  private async createPod(ds: DaemonSet, pod: Pod): Promise<void> {
    if (Object.keys(pod.metadata.labels ?? {}).length === 0) throw new Error('unable to create pods, no labels');
    try {
      const created = await this.store.create(this.defs.pod, ds.metadata.namespace, pod, { fieldManager });
      await this.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    } catch (e) {
      await this.event(ds, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
      throw e;
    }
  }

  private async deletePod(ds: DaemonSet, pod: Pod): Promise<void> {
    try {
      await this.store.delete(this.defs.pod, pod.metadata.namespace, pod.metadata.name as string, { fieldManager, preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      if (isNotFound(e)) throw e;
      if (e instanceof ApiError && e.code === 409) return; // replaced meanwhile: the next sync looks again
      await this.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
      throw e;
    }
    await this.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
  }

  // ---- rolling update ----

  /** The new and the old pod on a node; ok is false when there is more than one of either. */
  private updatedPodsOnNode(ds: DaemonSet, list: Pod[], hash: string): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
    let newPod: Pod | undefined;
    let oldPod: Pod | undefined;
    const generation = templateGeneration(ds);
    for (const pod of list) {
      if (pod.metadata.deletionTimestamp) continue;
      if (isPodUpdated(pod, hash, generation)) {
        if (newPod) return { ok: false };
        newPod = pod;
      } else {
        if (oldPod) return { ok: false };
        oldPod = pod;
      }
    }
    return { newPod, oldPod, ok: true };
  }

  private async rollingUpdate(ds: DaemonSet, nodes: KubeObject[], hash: string): Promise<void> {
    const byNode = await this.podsByNode(ds, false);
    const spec = daemonPodSpec(ds);
    let desired = 0;
    const nodeByName = new Map<string, KubeObject>();
    for (const node of nodes) {
      nodeByName.set(node.metadata.name as string, node);
      if (!nodeShouldRunDaemonPod(node, ds, spec).shouldRun) continue;
      desired++;
      if (!byNode.has(node.metadata.name as string)) byNode.set(node.metadata.name as string, []);
    }
    let maxUnavailable = maxUnavailableOf(ds, desired);
    const maxSurge = maxSurgeOf(ds, desired);
    if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
    const now = this.ctx.now();
    const minReady = ds.spec.minReadySeconds ?? 0;
    const available = (p: Pod) => isPodAvailable(p, minReady, now);
    const entries = [...byNode.entries()].sort(([a], [b]) => compareUtf8(a, b));

    if (maxSurge === 0) {
      // Delete just enough old pods to stay within maxUnavailable; manage creates their replacements.
      let numUnavailable = 0;
      const replacements: Pod[] = [];
      const candidates: Pod[] = [];
      for (const [, list] of entries) {
        const { newPod, oldPod, ok } = this.updatedPodsOnNode(ds, list, hash);
        if (!ok) { numUnavailable++; continue; }
        if ((!oldPod && !newPod) || (oldPod && newPod)) { numUnavailable++; continue; }
        if (newPod) { if (!available(newPod)) numUnavailable++; continue; }
        const old = oldPod as Pod;
        if (!available(old)) { replacements.push(old); numUnavailable++; continue; }
        if (numUnavailable >= maxUnavailable) continue;
        candidates.push(old);
      }
      const room = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates.length);
      await this.syncNodes(ds, [...replacements, ...candidates.slice(0, room)], [], hash);
      return;
    }

    // Surge: start a new pod beside an old one, remove the old one once the new one is available.
    const oldToDelete: Pod[] = [];
    const shouldNotRun: Pod[] = [];
    const candidateNodes: string[] = [];
    const allowedNodes: string[] = [];
    let numSurge = 0;
    let numAvailable = 0;
    for (const [nodeName, list] of entries) {
      const { newPod, oldPod, ok } = this.updatedPodsOnNode(ds, list, hash);
      if (!ok) { numSurge++; continue; }
      if (oldPod) { if (available(oldPod)) numAvailable++; } else if (newPod && available(newPod)) numAvailable++;
      if (!oldPod) continue;
      if (!newPod) {
        const node = nodeByName.get(nodeName);
        if (!node) throw new Error(`couldn't get node for nodeName "${nodeName}"`);
        const shouldRun = nodeShouldRunDaemonPod(node, ds, spec).shouldRun;
        if (!available(oldPod)) {
          if (!shouldRun) { oldToDelete.push(oldPod); continue; }
          allowedNodes.push(nodeName);
        } else {
          if (!shouldRun) { shouldNotRun.push(oldPod); continue; }
          if (numSurge >= maxSurge) continue;
          candidateNodes.push(nodeName);
        }
        continue;
      }
      if (!available(newPod)) { numSurge++; continue; }
      oldToDelete.push(oldPod);
    }
    const deletable = Math.min(numAvailable - desired, shouldNotRun.length);
    if (deletable > 0) oldToDelete.push(...shouldNotRun.slice(0, deletable));
    const room = Math.min(Math.max(0, maxSurge - numSurge), candidateNodes.length);
    await this.syncNodes(ds, oldToDelete, [...allowedNodes, ...candidateNodes.slice(0, room)], hash);
  }

  // ---- status ----

  private async updateStatus(ds: DaemonSet, nodes: KubeObject[], hash: string): Promise<void> {
    const byNode = await this.podsByNode(ds, false);
    const spec = daemonPodSpec(ds);
    const now = this.ctx.now();
    const minReady = ds.spec.minReadySeconds ?? 0;
    const generation = templateGeneration(ds);
    let desired = 0, current = 0, misscheduled = 0, ready = 0, updated = 0, available = 0;
    for (const node of nodes) {
      const { shouldRun } = nodeShouldRunDaemonPod(node, ds, spec);
      const list = byNode.get(node.metadata.name as string) ?? [];
      if (!shouldRun) {
        if (list.length > 0) misscheduled++;
        continue;
      }
      desired++;
      if (list.length === 0) continue;
      current++;
      const pod = [...list].sort(byCreation)[0] as Pod;
      if (isPodReady(pod)) {
        ready++;
        if (isPodAvailable(pod, minReady, now)) available++;
        else {
          const ms = msUntilAvailable(pod, minReady, now);
          if (ms !== undefined) this.requeueAfter(ms);
        }
      }
      if (isPodUpdated(pod, hash, generation)) updated++;
    }
    const unavailable = desired - available;
    const st = ds.status ?? {};
    if ((st.desiredNumberScheduled ?? 0) === desired && (st.currentNumberScheduled ?? 0) === current &&
      (st.numberMisscheduled ?? 0) === misscheduled && (st.numberReady ?? 0) === ready &&
      (st.updatedNumberScheduled ?? 0) === updated && (st.numberAvailable ?? 0) === available &&
      (st.numberUnavailable ?? 0) === unavailable && (st.observedGeneration ?? 0) >= (ds.metadata.generation ?? 0)) {
      return;
    }
    try {
      await this.store.guaranteedUpdate(this.defs.ds, ds.metadata.namespace, ds.metadata.name as string, (cur) => {
        const o = cur as DaemonSet;
        if (o.metadata.uid !== ds.metadata.uid) throw new ApiError(409, 'Conflict', 'the DaemonSet was replaced');
        const prev = o.status ?? {};
        const out: DaemonSetStatus = {
          currentNumberScheduled: current, numberMisscheduled: misscheduled, desiredNumberScheduled: desired, numberReady: ready,
        };
        const observed = ds.metadata.generation ?? prev.observedGeneration;
        if (observed) out.observedGeneration = observed;
        if (updated) out.updatedNumberScheduled = updated;
        if (available) out.numberAvailable = available;
        if (unavailable) out.numberUnavailable = unavailable;
        if (prev.collisionCount !== undefined) out.collisionCount = prev.collisionCount;
        if (prev.conditions && prev.conditions.length > 0) out.conditions = prev.conditions;
        o.status = out;
        return o;
      }, { subresource: 'status', fieldManager });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  // ---- history ----

  private async controlledHistories(ds: DaemonSet): Promise<Revision[]> {
    return await claimObjects({
      ctx: this.ctx, def: this.defs.rev, owner: ds, ownerApiVersion: dsApiVersion, ownerKind: dsKind, selector: ds.spec.selector,
    }, cached(this.ctx, this.defs.rev, ds.metadata.namespace)) as Revision[];
  }

  private matches(ds: DaemonSet, rev: Revision): boolean {
    return canonicalJson(templatePatch(ds)) === canonicalJson(rev.data);
  }

  /** The revision of the current template (created or renumbered as needed) and the older ones. */
  private async constructHistory(ds: DaemonSet): Promise<{ cur: Revision; old: Revision[] }> {
    const current: Revision[] = [];
    const old: Revision[] = [];
    for (let h of await this.controlledHistories(ds)) {
      if (h.metadata.labels?.[daemonSetRevisionLabel] === undefined) {
        const { obj } = await this.store.guaranteedUpdate(this.defs.rev, h.metadata.namespace, h.metadata.name as string, (c) => {
          const o = c as Revision;
          o.metadata.labels = { ...(o.metadata.labels ?? {}), [daemonSetRevisionLabel]: o.metadata.name as string };
          return o;
        }, { fieldManager });
        h = obj as Revision;
      }
      (this.matches(ds, h) ? current : old).push(h);
    }
    const next = old.reduce((m, h) => Math.max(m, h.revision ?? 0), 0) + 1;
    let cur: Revision;
    if (current.length === 0) {
      cur = await this.snapshot(ds, next);
    } else {
      cur = await this.dedupCurrent(ds, current);
      if ((cur.revision ?? 0) < next) {
        const { obj } = await this.store.guaranteedUpdate(this.defs.rev, cur.metadata.namespace, cur.metadata.name as string, (c) => {
          const o = c as Revision;
          o.revision = next;
          return o;
        }, { fieldManager });
        cur = obj as Revision;
      }
    }
    return { cur, old };
  }

  private async snapshot(ds: DaemonSet, revision: number): Promise<Revision> {
    const hash = templateHash(ds.spec.template, ds.status?.collisionCount);
    const name = `${ds.metadata.name}-${hash}`;
    const meta: ObjectMeta = {
      name, namespace: ds.metadata.namespace,
      labels: { ...(ds.spec.template?.metadata?.labels ?? {}), [daemonSetRevisionLabel]: hash },
    };
    if (ds.metadata.annotations && Object.keys(ds.metadata.annotations).length > 0) meta.annotations = { ...ds.metadata.annotations };
    meta.ownerReferences = [newControllerRef(ds, dsApiVersion, dsKind)];
    const rev: Revision = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: meta, data: templatePatch(ds), revision };
    try {
      return await this.store.create(this.defs.rev, ds.metadata.namespace, rev, { fieldManager }) as Revision;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const existing = await this.store.get(this.defs.rev, ds.metadata.namespace, name) as Revision;
      if (this.matches(ds, existing)) return existing;
      // A different template hashed to the same name: count the collision and try again with a new name.
      const fresh = await this.store.get(this.defs.ds, ds.metadata.namespace, ds.metadata.name as string) as DaemonSet;
      if (fresh.status?.collisionCount !== ds.status?.collisionCount) {
        throw new Error(`found a stale collision count (${ds.status?.collisionCount}, expected ${fresh.status?.collisionCount}) of DaemonSet "${ds.metadata.name}" while processing; will retry until it is updated`);
      }
      await this.store.guaranteedUpdate(this.defs.ds, ds.metadata.namespace, ds.metadata.name as string, (c) => {
        const o = c as DaemonSet;
        o.status = { ...(o.status ?? {}), collisionCount: (o.status?.collisionCount ?? 0) + 1 };
        return o;
      }, { subresource: 'status', fieldManager });
      throw e;
    }
  }

  /** Keep the newest of several revisions of the current template; relabel pods to it and delete the rest. */
  private async dedupCurrent(ds: DaemonSet, current: Revision[]): Promise<Revision> {
    if (current.length === 1) return current[0] as Revision;
    let keep = current[0] as Revision;
    for (const h of current) if ((h.revision ?? 0) >= (keep.revision ?? 0)) keep = h;
    const keepHash = keep.metadata.labels?.[daemonSetRevisionLabel] ?? '';
    const claimed = await claimObjects({
      ctx: this.ctx, def: this.defs.pod, owner: ds, ownerApiVersion: dsApiVersion, ownerKind: dsKind, selector: ds.spec.selector,
    }, claimableBy(this.ctx, this.defs.pod, ds));
    for (const pod of claimed) {
      if (pod.metadata.labels?.[daemonSetRevisionLabel] === keepHash) continue;
      try {
        await this.store.guaranteedUpdate(this.defs.pod, pod.metadata.namespace, pod.metadata.name as string, (c) => {
          const o = c as Pod;
          o.metadata.labels = { ...(o.metadata.labels ?? {}), [daemonSetRevisionLabel]: keepHash };
          return o;
        }, { fieldManager });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    for (const h of current) {
      if (h.metadata.name === keep.metadata.name) continue;
      try {
        await this.store.delete(this.defs.rev, h.metadata.namespace, h.metadata.name as string, { fieldManager });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    return keep;
  }

  /** Delete the oldest revisions no pod uses, down to revisionHistoryLimit old ones. */
  private async cleanupHistory(ds: DaemonSet, old: Revision[]): Promise<void> {
    let toKill = old.length - (ds.spec.revisionHistoryLimit ?? 10);
    if (toKill <= 0) return;
    const live = new Set<string>();
    for (const list of (await this.podsByNode(ds, true)).values()) {
      for (const p of list) {
        const h = p.metadata.labels?.[daemonSetRevisionLabel];
        if (h) live.add(h);
      }
    }
    for (const h of [...old].sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0))) {
      if (toKill <= 0) break;
      if (live.has(h.metadata.labels?.[daemonSetRevisionLabel] ?? '')) continue;
      try {
        await this.store.delete(this.defs.rev, h.metadata.namespace, h.metadata.name as string, { fieldManager });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      toKill--;
    }
  }
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace}/${obj.metadata.name}`;
}

/**
 * Start the DaemonSet controller of a cluster: it watches DaemonSets, their
 * pods and revisions, and nodes, and reconciles each DaemonSet. Returns a
 * function that stops it.
 */
export function startDaemonSetController(ctx: ControllerContext): () => void {
  const reg = ctx.vc.registry;
  const ds = reg.find('apps', 'v1', 'daemonsets');
  const pod = reg.find('', 'v1', 'pods');
  const node = reg.find('', 'v1', 'nodes');
  const rev = reg.find('apps', 'v1', 'controllerrevisions');
  if (!ds || !pod || !node || !rev) return () => {};
  const sync = new DaemonSetSync(ctx, { ds, pod, node, rev });
  const c = new Controller('daemonset', (key) => sync.sync(key));
  const all = (ns?: string) => cached(ctx, ds, ns) as DaemonSet[];

  const enqueueOwner = (obj: KubeObject | undefined) => {
    const ref = obj && controllerRefOf(obj);
    if (ref && ref.kind === dsKind && ref.apiVersion.startsWith('apps/')) c.enqueue(`${obj.metadata.namespace}/${ref.name}`);
  };
  // Pods and revisions wake their DaemonSet; orphans wake the DaemonSets that select them.
  const onOwned = (ev: CacheEvent) => {
    enqueueOwner(ev.obj);
    if (ev.prev && controllerRefOf(ev.prev)?.uid !== controllerRefOf(ev.obj)?.uid) enqueueOwner(ev.prev);
    if (ev.type !== 'DELETED' && !controllerRefOf(ev.obj)) {
      for (const d of all(ev.obj.metadata.namespace)) {
        if (d.spec && typeof d.spec === 'object' && selectorMatches(d.spec.selector, ev.obj.metadata.labels ?? {})) c.enqueue(keyOf(d));
      }
    }
  };
  const onNode = (ev: CacheEvent) => {
    if (ev.type === 'MODIFIED' && ev.prev && jsonEqual(ev.prev.metadata.labels ?? {}, ev.obj.metadata.labels ?? {}) &&
      jsonEqual(nodeTaints(ev.prev), nodeTaints(ev.obj))) return;
    for (const d of all()) c.enqueue(keyOf(d));
  };
  const unsubs = [
    ctx.vc.cache.subscribe({ prefix: resourcePrefix(ds), onEvent: (ev) => { if (ev.type !== 'DELETED') c.enqueue(keyOf(ev.obj)); } }),
    ctx.vc.cache.subscribe({ prefix: resourcePrefix(pod), onEvent: onOwned }),
    ctx.vc.cache.subscribe({ prefix: resourcePrefix(rev), onEvent: onOwned }),
    ctx.vc.cache.subscribe({ prefix: resourcePrefix(node), onEvent: onNode }),
  ];
  for (const d of all()) c.enqueue(keyOf(d));
  return () => { for (const u of unsubs) u(); c.stop(); };
}

