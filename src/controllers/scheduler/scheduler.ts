// The default scheduler: pods without a node whose schedulerName is
// default-scheduler are bound, one at a time, to the best node that passes the
// filters upstream's default profile runs first (NodeUnschedulable,
// TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit), scored by least
// allocation, balance, PreferNoSchedule taints and preferred node affinity.
// A pod nothing fits gets PodScheduled=False/Unschedulable with upstream's
// message and a FailedScheduling event, and is tried again when nodes change or
// bound pods go away (and every five minutes while any wait).

import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import { jsonEqual, nowTimestamp } from '../../registry/generic/metadata.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { ControllerContext } from '../context.ts';
import { Controller } from '../runtime.ts';
import type { PodSpec, PodStatus, Taint } from '../../nodes/api.ts';
import { isTerminal, nodeSpec, nodeStatus, podKey, podSpec, podStatus, splitKey, withPodCondition } from '../../nodes/api.ts';
import { Deadlines } from '../../nodes/timers.ts';
import { bindPod } from './bind.ts';
import { firstUntolerated, matchesNodeSelectorAndAffinity, nodeTaints, preferredAffinityScore, toleratedBy } from './predicates.ts';
import type { Amounts } from './resources.ts';
import { hostPorts, nodeAllocatable, podRequests, portsConflict } from './resources.ts';
import { compareUtf8 } from '../../api/decode/go-text.ts';

export const defaultSchedulerName = 'default-scheduler';

export interface SchedulerOptions {
  /** Retry every unschedulable pod at least this often (upstream: 5 minutes). */
  unschedulableRetryMs?: number;
}

/** What the bound, not yet finished pods of one node take. */
interface NodeUsage {
  requested: Amounts;
  nonZero: Amounts;
  pods: number;
  ports: string[][];
}

interface Accounted { node: string; requested: Amounts; nonZero: Amounts; ports: string[] }

/** Why one node was turned down; `resolvable` when preemption could in principle help. */
interface Rejection { reasons: string[]; resolvable: boolean }

const msgUnschedulable = 'node(s) were unschedulable';
const msgTaint = 'node(s) had untolerated taint(s)';
const msgAffinity = "node(s) didn't match Pod's node affinity/selector";
const msgPorts = "node(s) didn't have free ports for the requested pod ports";
const msgNoNodes = 'no nodes available to schedule pods';
const unschedulableTaint: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

function addAmounts(into: Amounts, a: Amounts, sign: number): void {
  for (const [k, v] of a) {
    const n = (into.get(k) ?? 0) + sign * v;
    if (n === 0) into.delete(k); else into.set(k, n);
  }
}

/** "0/3 nodes are available: 1 x, 2 y." with reasons counted and sorted as upstream prints them. */
export function fitMessage(total: number, counts: Map<string, number>): string {
  const parts = [...counts].map(([reason, n]) => `${n} ${reason}`).sort();
  return `0/${total} nodes are available:${parts.length > 0 ? ` ${parts.join(', ')}.` : ''}`;
}

/** The pod's scheduling failure message, with the outcome of the preemption attempt. */
export function unschedulableMessage(spec: PodSpec, total: number, rejections: Map<string, Rejection>): string {
  const counts = new Map<string, number>();
  for (const r of rejections.values()) for (const reason of r.reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  const base = fitMessage(total, counts);
  if (spec.preemptionPolicy === 'Never') return `${base} preemption: not eligible due to preemptionPolicy=Never.`;
  const pre = new Map<string, number>();
  for (const r of rejections.values()) {
    const why = r.resolvable ? 'No preemption victims found for incoming pod' : 'Preemption is not helpful for scheduling';
    pre.set(why, (pre.get(why) ?? 0) + 1);
  }
  return `${base} preemption: ${fitMessage(total, pre)}`;
}

export class Scheduler {
  private readonly ctx: ControllerContext;
  private readonly podDef: ResourceDef;
  private readonly nodeDef: ResourceDef;
  private readonly controller: Controller;
  private readonly usage = new Map<string, NodeUsage>();
  private readonly accounted = new Map<string, Accounted>();
  private readonly unschedulable = new Set<string>();
  /** Pods assumed on a node whose binding is being written. */
  private readonly binding = new Set<string>();
  private readonly retry: Deadlines;
  private readonly retryMs: number;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(ctx: ControllerContext, opts: SchedulerOptions = {}) {
    this.ctx = ctx;
    this.podDef = ctx.def('', 'v1', 'pods');
    this.nodeDef = ctx.def('', 'v1', 'nodes');
    this.retryMs = opts.unschedulableRetryMs ?? 5 * 60_000;
    this.controller = new Controller('scheduler', (key) => this.scheduleOne(key));
    this.retry = new Deadlines(() => this.flush());
  }

  start(): void {
    const cache = this.ctx.vc.cache;
    const pending: KubeObject[] = [];
    for (const c of cache.scan(resourcePrefix(this.podDef))) {
      this.account(podKey(c.obj), c.obj);
      if (this.wants(c.obj)) pending.push(c.obj);
    }
    for (const p of sortForQueue(pending)) this.controller.enqueue(podKey(p));
    this.unsubscribe.push(cache.subscribe({
      prefix: resourcePrefix(this.podDef),
      onEvent: (ev) => {
        const key = podKey(ev.obj);
        // While its binding is written, an assumed pod's other updates leave its place counted.
        const assumed = this.binding.has(key) && ev.type !== 'DELETED' && !podSpec(ev.obj).nodeName;
        const freed = assumed ? false : this.account(key, ev.type === 'DELETED' ? undefined : ev.obj);
        if (ev.type === 'DELETED') {
          this.unschedulable.delete(key);
        } else if (this.wants(ev.obj)) {
          // A pod's own status updates do not make it schedulable; new pods and spec changes may.
          if (ev.type === 'ADDED' || !ev.prev || !jsonEqual(ev.prev.spec, ev.obj.spec)) this.controller.enqueue(key);
        }
        if (freed) this.flush();
      },
    }));
    this.unsubscribe.push(cache.subscribe({
      prefix: resourcePrefix(this.nodeDef),
      onEvent: (ev) => {
        if (ev.type === 'DELETED') return;
        if (ev.type === 'ADDED' || !ev.prev || schedulingFacts(ev.prev) !== schedulingFacts(ev.obj)) this.flush();
      },
    }));
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    this.controller.stop();
    this.retry.stop();
  }

  /** A pod this scheduler should place now. */
  private wants(pod: KubeObject): boolean {
    const spec = podSpec(pod);
    if (spec.nodeName || pod.metadata.deletionTimestamp || isTerminal(pod)) return false;
    if ((spec.schedulerName || defaultSchedulerName) !== defaultSchedulerName) return false;
    return (spec.schedulingGates ?? []).length === 0;
  }

  /** Keep per-node usage in step with a pod; true when the change frees room somewhere. */
  private account(key: string, pod: KubeObject | undefined): boolean {
    const before = this.accounted.get(key);
    const spec = pod ? podSpec(pod) : undefined;
    const counts = pod !== undefined && !!spec?.nodeName && !isTerminal(pod);
    if (before && counts && before.node === spec?.nodeName) return false;
    if (before) {
      const u = this.usage.get(before.node);
      if (u) {
        addAmounts(u.requested, before.requested, -1);
        addAmounts(u.nonZero, before.nonZero, -1);
        u.pods--;
        const i = u.ports.indexOf(before.ports);
        if (i >= 0) u.ports.splice(i, 1);
        if (u.pods <= 0) this.usage.delete(before.node);
      }
      this.accounted.delete(key);
    }
    if (counts && spec) {
      const node = spec.nodeName as string;
      const a: Accounted = { node, requested: podRequests(spec), nonZero: podRequests(spec, true), ports: hostPorts(spec) };
      let u = this.usage.get(node);
      if (!u) this.usage.set(node, (u = { requested: new Map(), nonZero: new Map(), pods: 0, ports: [] }));
      addAmounts(u.requested, a.requested, 1);
      addAmounts(u.nonZero, a.nonZero, 1);
      u.pods++;
      u.ports.push(a.ports);
      this.accounted.set(key, a);
    }
    return before !== undefined;
  }

  /** Try every waiting pod again. */
  private flush(): void {
    if (this.unschedulable.size === 0) return;
    const pods: KubeObject[] = [];
    for (const key of this.unschedulable) {
      const [ns, name] = splitKey(key);
      const pod = this.ctx.vc.store.peek(this.podDef, ns, name);
      if (pod) pods.push(pod);
    }
    this.unschedulable.clear();
    this.retry.cancel('flush');
    for (const p of sortForQueue(pods)) this.controller.enqueue(podKey(p));
  }

  private filter(spec: PodSpec, req: Amounts, node: KubeObject): Rejection | undefined {
    const ns = nodeSpec(node);
    if (ns.unschedulable && !toleratedBy(spec.tolerations, unschedulableTaint)) {
      return { reasons: [msgUnschedulable], resolvable: false };
    }
    const taints = nodeTaints(node);
    if (firstUntolerated(taints, spec.tolerations, (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) {
      return { reasons: [msgTaint], resolvable: false };
    }
    if (!matchesNodeSelectorAndAffinity(spec, node)) return { reasons: [msgAffinity], resolvable: false };
    const name = node.metadata.name as string;
    const used = this.usage.get(name);
    const wanted = hostPorts(spec);
    if (wanted.length > 0 && used) {
      const taken = used.ports.flat();
      if (wanted.some((w) => taken.some((t) => portsConflict(w, t)))) return { reasons: [msgPorts], resolvable: true };
    }
    const reasons: string[] = [];
    const alloc = nodeAllocatable(node);
    if ((used?.pods ?? 0) + 1 > (alloc.get('pods') ?? 0)) reasons.push('Too many pods');
    const ordered = [...req.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
    for (const r of ordered) {
      if (r === 'pods') continue;
      const want = req.get(r) ?? 0;
      if (want <= 0) continue;
      if (want > (alloc.get(r) ?? 0) - (used?.requested.get(r) ?? 0)) reasons.push(`Insufficient ${r}`);
    }
    return reasons.length > 0 ? { reasons, resolvable: true } : undefined;
  }

  private score(spec: PodSpec, node: KubeObject, nonZero: Amounts): { base: number; taints: number; affinity: number } {
    const alloc = nodeAllocatable(node);
    const used = this.usage.get(node.metadata.name as string);
    const fractions: number[] = [];
    let least = 0;
    for (const r of ['cpu', 'memory']) {
      const cap = alloc.get(r) ?? 0;
      const want = (used?.nonZero.get(r) ?? 0) + (nonZero.get(r) ?? 0);
      least += cap > 0 && want <= cap ? ((cap - want) * 100) / cap : 0;
      fractions.push(cap > 0 ? Math.min(1, want / cap) : 1);
    }
    least /= 2;
    const balanced = (1 - Math.abs((fractions[0] as number) - (fractions[1] as number)) / 2) * 100;
    const preferNoSchedule = nodeTaints(node).filter((t) => t.effect === 'PreferNoSchedule' && !toleratedBy(spec.tolerations, t)).length;
    return { base: least + balanced, taints: preferNoSchedule, affinity: preferredAffinityScore(spec, node) };
  }

  private async scheduleOne(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const pod = this.ctx.vc.store.peek(this.podDef, ns, name);
    if (this.binding.has(key)) return;
    if (!pod || !this.wants(pod)) { this.unschedulable.delete(key); return; }
    const spec = podSpec(pod);
    const nodes = [...this.ctx.vc.cache.scan(resourcePrefix(this.nodeDef))].map((c) => c.obj);
    if (nodes.length === 0) return this.fail(pod, msgNoNodes);
    const req = podRequests(spec);
    const rejections = new Map<string, Rejection>();
    const feasible: KubeObject[] = [];
    for (const node of nodes) {
      const r = this.filter(spec, req, node);
      if (r) rejections.set(node.metadata.name as string, r); else feasible.push(node);
    }
    if (feasible.length === 0) return this.fail(pod, unschedulableMessage(spec, nodes.length, rejections));
    const chosen = this.pick(spec, feasible);
    // As upstream's scheduler does, the pod is assumed on the node at once and bound in the
    // background: the next pod is placed (counting this one) while this binding is written.
    this.account(key, { ...pod, spec: { ...spec, nodeName: chosen } });
    this.unschedulable.delete(key);
    this.binding.add(key);
    void this.bind(pod, key, chosen);
  }

  private async bind(pod: KubeObject, key: string, node: string): Promise<void> {
    const [ns, name] = splitKey(key);
    try {
      await bindPod(this.ctx.vc, this.podDef, ns, name, node, { uid: pod.metadata.uid, now: this.ctx.now() });
      void this.ctx.events.record(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${node}`, defaultSchedulerName);
    } catch (e) {
      // Forget the assumption: count the pod as it is stored.
      this.account(key, this.ctx.vc.store.peek(this.podDef, ns, name));
      // Deleted, bound elsewhere or being deleted meanwhile: nothing left to do. Otherwise try again soon.
      if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) {
        console.error(`kubevisor: scheduler: binding ${key} to ${node}: ${(e as Error).message}`);
        this.unschedulable.add(key);
        this.retry.schedule('flush', Date.now() + 1000);
      }
    } finally {
      this.binding.delete(key);
    }
  }

  private pick(spec: PodSpec, feasible: KubeObject[]): string {
    const nonZero = podRequests(spec, true);
    const raw = feasible.map((n) => ({ name: n.metadata.name as string, ...this.score(spec, n, nonZero) }));
    // Normalise the taint and affinity scores to 0..100 across the feasible nodes, as upstream does.
    const maxTaints = Math.max(0, ...raw.map((r) => r.taints));
    const maxAffinity = Math.max(0, ...raw.map((r) => r.affinity));
    let best = -Infinity;
    let chosen = raw[0]?.name as string;
    let ties = 0;
    for (const r of raw) {
      const taintScore = maxTaints > 0 ? 100 - (r.taints * 100) / maxTaints : 100;
      const affinityScore = maxAffinity > 0 ? (r.affinity * 100) / maxAffinity : 0;
      const total = r.base + 3 * taintScore + 2 * affinityScore;
      if (total > best + 1e-9) { best = total; chosen = r.name; ties = 1; }
      else if (Math.abs(total - best) <= 1e-9 && Math.random() * ++ties < 1) chosen = r.name;
    }
    return chosen;
  }

  private async fail(pod: KubeObject, message: string): Promise<void> {
    const key = podKey(pod);
    const [ns, name] = splitKey(key);
    const uid = pod.metadata.uid;
    const cond = { type: 'PodScheduled', status: 'False' as const, reason: 'Unschedulable', message };
    const current = podStatus(pod).conditions?.find((c) => c.type === 'PodScheduled');
    if (!current || current.status !== 'False' || current.reason !== cond.reason || current.message !== message) {
      try {
        await this.ctx.vc.store.guaranteedUpdate(this.podDef, ns, name, (cur) => {
          const obj = cur as KubeObject;
          if (obj.metadata.uid !== uid || !this.wants(obj)) return obj;
          const st = (obj.status ?? (obj.status = {})) as PodStatus;
          const c = { ...cond, observedGeneration: obj.metadata.generation };
          if (c.observedGeneration === undefined) delete (c as { observedGeneration?: number }).observedGeneration;
          st.conditions = withPodCondition(st.conditions, c, nowTimestamp(this.ctx.now()));
          return obj;
        }, { subresource: 'status', fieldManager: defaultSchedulerName });
      } catch (e) {
        if (e instanceof ApiError && e.code === 404) return;
        throw e;
      }
    }
    void this.ctx.events.record(pod, 'Warning', 'FailedScheduling', message, defaultSchedulerName);
    this.unschedulable.add(key);
    this.retry.schedule('flush', Date.now() + this.retryMs);
  }
}

/** Resource order of upstream's fit check: cpu, memory, ephemeral storage, then the rest by name. */
function rank(r: string): number {
  return r === 'cpu' ? 0 : r === 'memory' ? 1 : r === 'ephemeral-storage' ? 2 : 3;
}

/** Higher priority first, then older first (upstream's PrioritySort). */
function sortForQueue(pods: KubeObject[]): KubeObject[] {
  return pods.sort((a, b) => (podSpec(b).priority ?? 0) - (podSpec(a).priority ?? 0) ||
    compareUtf8(String(a.metadata.creationTimestamp ?? ''), String(b.metadata.creationTimestamp ?? '')));
}

/** What of a node matters to scheduling (not heartbeats). */
function schedulingFacts(node: KubeObject): string {
  const st = nodeStatus(node);
  return JSON.stringify([node.metadata.labels ?? {}, nodeSpec(node).taints ?? [], nodeSpec(node).unschedulable ?? false,
    st.allocatable ?? st.capacity ?? {}]);
}

/** Start the default scheduler; returns a function that stops it. */
export function startScheduler(ctx: ControllerContext, opts: SchedulerOptions = {}): () => void {
  const s = new Scheduler(ctx, opts);
  s.start();
  return () => s.stop();
}
