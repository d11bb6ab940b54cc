// Node lifecycle, as kube-controller-manager runs it:
//  - node health: a node whose kubelet stops renewing its lease (and posting
//    status) for the grace period turns Ready=Unknown ("NodeStatusUnknown"), and
//    its pods are marked not ready;
//  - taints from conditions: unreachable / not-ready (NoSchedule and NoExecute),
//    memory/disk/pid pressure and network-unavailable (NoSchedule), and
//    unschedulable (NoSchedule) for cordoned nodes; removed when they clear;
//  - taint-based eviction: pods on a node with a NoExecute taint they do not
//    tolerate are deleted (at once, or after their tolerationSeconds);
//  - pod garbage collection: pods bound to a node that no longer exists are
//    deleted (after a quarantine).
// One deadline timer covers everything time-based; nothing runs while all is quiet.

import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import { resourcePrefix, listPrefix } from '../registry/generic/keys.ts';
import { jsonEqual, nowTimestamp } from '../registry/generic/metadata.ts';
import type { ResourceDef } from '../registry/types.ts';
import type { ControllerContext } from '../controllers/context.ts';
import { Controller } from '../controllers/runtime.ts';
import { tolerates } from '../controllers/scheduler/predicates.ts';
import type { NodeCondition, PodStatus, Taint } from './api.ts';
import { findCondition, isTerminal, nodeSpec, nodeStatus, podKey, podSpec, splitKey, withPodCondition } from './api.ts';
import { nodeLeaseNamespace } from './node-object.ts';
import { Deadlines } from './timers.ts';

export interface NodeLifecycleOptions {
  /** How long a node may go without renewing its lease or posting status (upstream: 40 s). */
  gracePeriodMs?: number;
  /** How long pods of a vanished node wait before they are deleted (upstream: 40 s). */
  podGCQuarantineMs?: number;
}

export const taintUnreachable = 'node.kubernetes.io/unreachable';
export const taintNotReady = 'node.kubernetes.io/not-ready';
export const taintUnschedulable = 'node.kubernetes.io/unschedulable';

const manager = 'kube-controller-manager';

/** The taints a node's conditions and spec call for (key and effect). */
export function conditionTaints(node: KubeObject): Taint[] {
  const conds = nodeStatus(node).conditions as NodeCondition[] | undefined;
  const out: Taint[] = [];
  const ready = findCondition(conds, 'Ready');
  if (ready?.status === 'Unknown') {
    out.push({ key: taintUnreachable, effect: 'NoSchedule' }, { key: taintUnreachable, effect: 'NoExecute' });
  } else if (ready?.status === 'False') {
    out.push({ key: taintNotReady, effect: 'NoSchedule' }, { key: taintNotReady, effect: 'NoExecute' });
  }
  const pressure: [string, string][] = [
    ['MemoryPressure', 'node.kubernetes.io/memory-pressure'],
    ['DiskPressure', 'node.kubernetes.io/disk-pressure'],
    ['PIDPressure', 'node.kubernetes.io/pid-pressure'],
    ['NetworkUnavailable', 'node.kubernetes.io/network-unavailable'],
  ];
  for (const [type, key] of pressure) {
    if (findCondition(conds, type)?.status === 'True') out.push({ key, effect: 'NoSchedule' });
  }
  if (nodeSpec(node).unschedulable) out.push({ key: taintUnschedulable, effect: 'NoSchedule' });
  return out;
}

const managedKeys = new Set([
  taintUnreachable, taintNotReady, taintUnschedulable, 'node.kubernetes.io/memory-pressure',
  'node.kubernetes.io/disk-pressure', 'node.kubernetes.io/pid-pressure', 'node.kubernetes.io/network-unavailable',
]);

const sameTaint = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect;

/** The node's taints with the condition taints made to match (others untouched, existing times kept). */
export function reconcileTaints(current: readonly Taint[], wanted: readonly Taint[], now: string): Taint[] {
  const out: Taint[] = [];
  for (const t of current) {
    if (managedKeys.has(t.key) && !wanted.some((w) => sameTaint(w, t))) continue;
    out.push(t);
  }
  for (const w of wanted) {
    if (!out.some((t) => sameTaint(t, w))) out.push({ ...w, timeAdded: now });
  }
  return out;
}

export class NodeLifecycleController {
  private readonly ctx: ControllerContext;
  private readonly nodeDef: ResourceDef;
  private readonly podDef: ResourceDef;
  private readonly leaseDef: ResourceDef | undefined;
  private readonly graceMs: number;
  private readonly quarantineMs: number;
  private readonly controller: Controller;
  private readonly deadlines: Deadlines;
  /** When each node was last heard from (lease renewed or status posted), by this controller's clock. */
  private readonly lastSeen = new Map<string, number>();
  /** Pods by the node they are bound to. */
  private readonly podsOn = new Map<string, Set<string>>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(ctx: ControllerContext, opts: NodeLifecycleOptions = {}) {
    this.ctx = ctx;
    this.nodeDef = ctx.def('', 'v1', 'nodes');
    this.podDef = ctx.def('', 'v1', 'pods');
    this.leaseDef = ctx.vc.registry.find('coordination.k8s.io', 'v1', 'leases');
    this.graceMs = opts.gracePeriodMs ?? 40_000;
    this.quarantineMs = opts.podGCQuarantineMs ?? 40_000;
    this.controller = new Controller('node-lifecycle', (key) => this.reconcile(key));
    this.deadlines = new Deadlines((keys) => { for (const k of keys) this.controller.enqueue(k); });
  }

  start(): void {
    const cache = this.ctx.vc.cache;
    const now = Date.now();
    this.unsubscribe.push(cache.subscribe({
      prefix: resourcePrefix(this.nodeDef),
      onEvent: (ev) => {
        const name = ev.obj.metadata.name as string;
        if (ev.type === 'DELETED') {
          this.lastSeen.delete(name);
          this.deadlines.cancel(`node/${name}`);
          if ((this.podsOn.get(name)?.size ?? 0) > 0) this.deadlines.schedule(`gc/${name}`, Date.now() + this.quarantineMs);
          return;
        }
        if (ev.type === 'ADDED' || heartbeat(ev.prev) !== heartbeat(ev.obj)) this.seen(name);
        this.controller.enqueue(`node/${name}`);
      },
    }));
    if (this.leaseDef) {
      this.unsubscribe.push(cache.subscribe({
        prefix: listPrefix(this.leaseDef, nodeLeaseNamespace),
        onEvent: (ev) => {
          if (ev.type === 'DELETED') return;
          const renew = (ev.obj.spec as { renewTime?: string } | undefined)?.renewTime;
          const before = (ev.prev?.spec as { renewTime?: string } | undefined)?.renewTime;
          if (renew !== before) this.seen(ev.obj.metadata.name as string);
        },
      }));
    }
    this.unsubscribe.push(cache.subscribe({
      prefix: resourcePrefix(this.podDef),
      onEvent: (ev) => {
        const key = podKey(ev.obj);
        const before = ev.prev ? podSpec(ev.prev).nodeName : undefined;
        const after = ev.type === 'DELETED' ? undefined : podSpec(ev.obj).nodeName;
        if (before && before !== after) this.podsOn.get(before)?.delete(key);
        if (ev.type === 'DELETED') { this.deadlines.cancel(`pod/${key}`); return; }
        if (!after) return;
        let set = this.podsOn.get(after);
        if (!set) this.podsOn.set(after, (set = new Set()));
        set.add(key);
        if (before !== after) {
          if (this.ctx.vc.store.peek(this.nodeDef, undefined, after)) this.controller.enqueue(`pod/${key}`);
          else this.deadlines.schedule(`gc/${after}`, Date.now() + this.quarantineMs);
        }
      },
    }));
    // Every node gets a full grace period from now, as upstream does when the controller starts.
    for (const c of cache.scan(resourcePrefix(this.nodeDef))) {
      const name = c.obj.metadata.name as string;
      this.lastSeen.set(name, now);
      this.controller.enqueue(`node/${name}`);
    }
    for (const c of cache.scan(resourcePrefix(this.podDef))) {
      const node = podSpec(c.obj).nodeName;
      if (!node) continue;
      let set = this.podsOn.get(node);
      if (!set) this.podsOn.set(node, (set = new Set()));
      set.add(podKey(c.obj));
      if (!this.ctx.vc.store.peek(this.nodeDef, undefined, node)) this.deadlines.schedule(`gc/${node}`, now + this.quarantineMs);
    }
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    this.controller.stop();
    this.deadlines.stop();
  }

  private seen(name: string): void {
    const now = Date.now();
    this.lastSeen.set(name, now);
    this.deadlines.reset(`node/${name}`, now + this.graceMs);
  }

  private async reconcile(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const kind = key.slice(0, slash);
    const rest = key.slice(slash + 1);
    if (kind === 'node') return this.reconcileNode(rest);
    if (kind === 'pod') return this.reconcilePod(rest);
    if (kind === 'gc') return this.collectOrphans(rest);
  }

  private async reconcileNode(name: string): Promise<void> {
    const store = this.ctx.vc.store;
    let node = store.peek(this.nodeDef, undefined, name);
    if (!node) return;
    const now = Date.now();
    if (!this.lastSeen.has(name)) this.lastSeen.set(name, now);
    const deadline = (this.lastSeen.get(name) as number) + this.graceMs;
    const ready = findCondition(nodeStatus(node).conditions as NodeCondition[] | undefined, 'Ready');
    if (now >= deadline) {
      if (ready?.status !== 'Unknown') node = await this.markUnknown(node);
    } else {
      this.deadlines.reset(`node/${name}`, deadline);
    }
    if (!node) return;
    const current = nodeSpec(node).taints ?? [];
    const taints = reconcileTaints(current, conditionTaints(node), nowTimestamp(this.ctx.now()));
    if (!jsonEqual(current, taints)) {
      const res = await store.guaranteedUpdate(this.nodeDef, undefined, name, (cur) => {
        const obj = cur as KubeObject;
        const spec = (obj.spec ?? (obj.spec = {})) as { taints?: Taint[] };
        const next = reconcileTaints(spec.taints ?? [], conditionTaints(obj), nowTimestamp(this.ctx.now()));
        if (next.length > 0) spec.taints = next; else delete spec.taints;
        return obj;
      }, { fieldManager: manager });
      node = res.obj;
    }
    if ((nodeSpec(node).taints ?? []).some((t) => t.effect === 'NoExecute')) {
      for (const key of this.podsOn.get(name) ?? []) this.controller.enqueue(`pod/${key}`);
    }
  }

  /** The kubelet went silent: its conditions become Unknown and its pods stop being ready. */
  private async markUnknown(node: KubeObject): Promise<KubeObject | undefined> {
    const name = node.metadata.name as string;
    const ts = nowTimestamp(this.ctx.now());
    let res: { obj: KubeObject };
    try {
      res = await this.ctx.vc.store.guaranteedUpdate(this.nodeDef, undefined, name, (cur) => {
        const obj = cur as KubeObject;
        const st = (obj.status ?? (obj.status = {})) as { conditions?: NodeCondition[] };
        const conds = [...(st.conditions ?? [])];
        for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready']) {
          const i = conds.findIndex((c) => c.type === type);
          const prev = i >= 0 ? conds[i] : undefined;
          const next: NodeCondition = {
            type, status: 'Unknown',
            lastHeartbeatTime: prev?.lastHeartbeatTime ?? (obj.metadata.creationTimestamp as string | undefined) ?? ts,
            lastTransitionTime: prev?.status === 'Unknown' && prev.lastTransitionTime ? prev.lastTransitionTime : ts,
            reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.',
          };
          if (i >= 0) conds[i] = next; else conds.push(next);
        }
        st.conditions = conds;
        return obj;
      }, { subresource: 'status', fieldManager: manager });
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return undefined;
      throw e;
    }
    void this.ctx.events.record(res.obj, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`, 'node-controller');
    for (const key of [...(this.podsOn.get(name) ?? [])]) await this.markPodNotReady(key, name);
    return res.obj;
  }

  private async markPodNotReady(key: string, nodeName: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const pod = this.ctx.vc.store.peek(this.podDef, ns, name);
    if (!pod || podSpec(pod).nodeName !== nodeName || isTerminal(pod) || pod.metadata.deletionTimestamp) return;
    const ready = findCondition((pod.status as PodStatus | undefined)?.conditions, 'Ready');
    if (!ready || ready.status === 'False') return;
    try {
      await this.ctx.vc.store.guaranteedUpdate(this.podDef, ns, name, (cur) => {
        const obj = cur as KubeObject;
        const st = (obj.status ?? (obj.status = {})) as PodStatus;
        const c = findCondition(st.conditions, 'Ready');
        if (c) st.conditions = withPodCondition(st.conditions, { ...c, status: 'False' }, nowTimestamp(this.ctx.now()));
        return obj;
      }, { subresource: 'status', fieldManager: manager });
      void this.ctx.events.record(pod, 'Warning', 'NodeNotReady', 'Node is not ready', 'node-controller');
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }

  /** Taint-based eviction of one pod. */
  private async reconcilePod(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const store = this.ctx.vc.store;
    const pod = store.peek(this.podDef, ns, name);
    if (!pod || pod.metadata.deletionTimestamp || isTerminal(pod)) return;
    const nodeName = podSpec(pod).nodeName;
    const node = nodeName ? store.peek(this.nodeDef, undefined, nodeName) : undefined;
    if (!node) return;
    const noExecute = (nodeSpec(node).taints ?? []).filter((t) => t.effect === 'NoExecute');
    if (noExecute.length === 0) { this.deadlines.cancel(`pod/${key}`); return; }
    const tolerations = (podSpec(pod).tolerations ?? []).filter((t) => !t.effect || t.effect === 'NoExecute');
    let evictAt = Infinity;
    const now = Date.now();
    for (const taint of noExecute) {
      const matching = tolerations.filter((t) => tolerates(t, taint));
      if (matching.length === 0) { evictAt = now; break; }
      // The shortest tolerationSeconds among the matching tolerations; none means forever.
      const secs = matching.map((t) => t.tolerationSeconds).filter((s): s is number => typeof s === 'number');
      if (secs.length === 0) continue;
      const added = taint.timeAdded ? Date.parse(taint.timeAdded) : now;
      evictAt = Math.min(evictAt, (Number.isNaN(added) ? now : added) + Math.max(0, Math.min(...secs)) * 1000);
    }
    if (evictAt === Infinity) { this.deadlines.cancel(`pod/${key}`); return; }
    if (evictAt > now) { this.deadlines.reset(`pod/${key}`, evictAt); return; }
    await this.evict(pod);
  }

  private async evict(pod: KubeObject): Promise<void> {
    const ns = pod.metadata.namespace as string;
    const name = pod.metadata.name as string;
    const store = this.ctx.vc.store;
    try {
      await store.guaranteedUpdate(this.podDef, ns, name, (cur) => {
        const obj = cur as KubeObject;
        if (obj.metadata.uid !== pod.metadata.uid) return obj;
        const st = (obj.status ?? (obj.status = {})) as PodStatus;
        st.conditions = withPodCondition(st.conditions, {
          type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager',
          message: 'Taint manager: deleting due to NoExecute taint',
        }, nowTimestamp(this.ctx.now()));
        return obj;
      }, { subresource: 'status', fieldManager: manager });
      void this.ctx.events.record(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${ns}/${name}`, 'taint-eviction-controller');
      await store.delete(this.podDef, ns, name, { preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
    }
  }

  /** Pods bound to a node that does not exist (any more) are failed and removed. */
  private async collectOrphans(nodeName: string): Promise<void> {
    const store = this.ctx.vc.store;
    if (store.peek(this.nodeDef, undefined, nodeName)) return;
    for (const key of [...(this.podsOn.get(nodeName) ?? [])]) {
      const [ns, name] = splitKey(key);
      const pod = store.peek(this.podDef, ns, name);
      if (!pod || podSpec(pod).nodeName !== nodeName) continue;
      try {
        if (!isTerminal(pod)) {
          await store.guaranteedUpdate(this.podDef, ns, name, (cur) => {
            const obj = cur as KubeObject;
            if (obj.metadata.uid !== pod.metadata.uid) return obj;
            const st = (obj.status ?? (obj.status = {})) as PodStatus;
            st.phase = 'Failed';
            st.conditions = withPodCondition(st.conditions, {
              type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists',
            }, nowTimestamp(this.ctx.now()));
            return obj;
          }, { subresource: 'status', fieldManager: manager });
        }
        await store.delete(this.podDef, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      } catch (e) {
        if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
      }
    }
    if ((this.podsOn.get(nodeName)?.size ?? 0) === 0) this.podsOn.delete(nodeName);
  }
}

/** The heartbeat times of a node's conditions (a kubelet posting status). */
function heartbeat(node: KubeObject | undefined): string {
  if (!node) return '';
  const conds = (nodeStatus(node).conditions ?? []) as NodeCondition[];
  return conds.map((c) => `${c.type}=${c.lastHeartbeatTime ?? ''}`).join(',');
}

/** Start the node lifecycle controller (health, taints, eviction, pod GC); returns a function that stops it. */
export function startNodeLifecycleController(ctx: ControllerContext, opts: NodeLifecycleOptions = {}): () => void {
  const c = new NodeLifecycleController(ctx, opts);
  c.start();
  return () => c.stop();
}
