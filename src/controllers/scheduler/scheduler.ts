// The default scheduler: pods without a node whose schedulerName is
// default-scheduler are bound, one at a time, to the best node that passes the
// filters of upstream's default profile, in its order (NodeUnschedulable,
// TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, PodTopologySpread
// in `topology-spread.ts`, InterPodAffinity in `inter-pod-affinity.ts`), scored
// by least allocation, balance, PreferNoSchedule taints, preferred node
// affinity, topology spread (with the cluster's default constraints) and
// inter-pod affinity, weighted as upstream weighs them. Pods with a nominated
// node try that node first, and pending pods' nominations of at least the
// pod's priority hold their room.
// A pod nothing fits gets PodScheduled=False/Unschedulable with upstream's
// message and a FailedScheduling event; DefaultPreemption (`preemption.ts`)
// then looks for lower-priority pods whose eviction lets it fit, nominates the
// node and deletes them (DisruptionTarget condition, Preempted event). Waiting
// pods are tried again when nodes change, bound pods go away (or, for pods with
// required pod affinity or spread constraints, come), and every five minutes.
//
// The bound pods are indexed by node with per-node counters of the pods a term
// or constraint selects (`pod-index.ts`), kept as pods change, so that pods and
// clusters without affinity or spread terms pay nothing for those plugins.

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
import { listPrefix } from '../../registry/generic/keys.ts';
import type { Labels } from '../../api/selectors/labels.ts';
import { PodIndex } from './pod-index.ts';
import type { PodInfo } from './pod-index.ts';
import { podTerms } from './pod-terms.ts';
import type { AffinityEnv, Incoming } from './inter-pod-affinity.ts';
import { InterPodAffinityFilter, interPodAffinityScores } from './inter-pod-affinity.ts';
import type { SelectorSources, SpreadConstraints, SpreadPod } from './topology-spread.ts';
import { TopologySpreadFilter, spreadConstraints, topologySpreadScores } from './topology-spread.ts';
import type { Candidate, Rejection } from './preemption.ts';
import { budgets, msgNotHelpful, msgPolicyNever, msgTerminatingOnNominated, pickCandidate, selectVictims, terminatingByPreemption } from './preemption.ts';

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

/** What the resource and port filters read of a node. */
interface Load { requested: Amounts; pods: number; ports: string[][] }

/** A pending pod's nomination: the room it holds on its nominated node. */
interface Nominated { key: string; node: string; priority: number; requested: Amounts; ports: string[] }

/** One scheduling attempt's view of the pod and the plugins' states. */
interface Cycle {
  pod: KubeObject;
  key: string;
  spec: PodSpec;
  req: Amounts;
  priority: number;
  preemptionPolicy: string;
  incoming: Incoming;
  spreadPod: SpreadPod;
  spread: SpreadConstraints;
  nodes: KubeObject[];
  nodesByName: Map<string, KubeObject>;
  env: AffinityEnv;
  affinity: InterPodAffinityFilter | undefined;
  spreadFilter: TopologySpreadFilter | undefined;
}

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


/** The "0/N nodes are available: …" summary of the nodes' rejections (every reason counted). */
export function rejectionMessage(total: number, rejections: Iterable<Rejection>): string {
  const counts = new Map<string, number>();
  for (const r of rejections) for (const reason of r.reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return fitMessage(total, counts);
}

const emptyLoad: Load = { requested: new Map(), pods: 0, ports: [] };

export class Scheduler {
  private readonly ctx: ControllerContext;
  private readonly podDef: ResourceDef;
  private readonly nodeDef: ResourceDef;
  private readonly nsDef: ResourceDef;
  private readonly controller: Controller;
  private readonly usage = new Map<string, NodeUsage>();
  private readonly accounted = new Map<string, Accounted>();
  private readonly index = new PodIndex();
  /** Pending pods' nominations, by node then pod. */
  private readonly nominated = new Map<string, Map<string, Nominated>>();
  private readonly nominatedNode = new Map<string, string>();
  private readonly unschedulable = new Set<string>();
  /** Waiting pods a newly bound pod may help (required pod affinity, DoNotSchedule spread constraints). */
  private readonly waitingOnPods = new Set<string>();
  /** Pods assumed on a node whose binding is being written. */
  private readonly binding = new Set<string>();
  private readonly retry: Deadlines;
  private readonly retryMs: number;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly selectorSources: SelectorSources;

  constructor(ctx: ControllerContext, opts: SchedulerOptions = {}) {
    this.ctx = ctx;
    this.podDef = ctx.def('', 'v1', 'pods');
    this.nodeDef = ctx.def('', 'v1', 'nodes');
    this.nsDef = ctx.def('', 'v1', 'namespaces');
    this.retryMs = opts.unschedulableRetryMs ?? 5 * 60_000;
    this.controller = new Controller('scheduler', (key) => this.scheduleOne(key));
    this.retry = new Deadlines(() => this.flush());
    const optionalDef = (group: string, plural: string): ResourceDef | undefined => {
      try { return ctx.def(group, 'v1', plural); } catch { return undefined; }
    };
    const svcDef = optionalDef('', 'services');
    const owners = {
      ReplicaSet: optionalDef('apps', 'replicasets'),
      StatefulSet: optionalDef('apps', 'statefulsets'),
      ReplicationController: optionalDef('', 'replicationcontrollers'),
    };
    const cache = ctx.vc.cache;
    this.selectorSources = {
      *services(ns) {
        if (!svcDef) return;
        for (const c of cache.scan(listPrefix(svcDef, ns))) yield c.obj;
      },
      owner: (kind, ns, name) => {
        const def = owners[kind];
        return def ? ctx.vc.store.peek(def, ns, name) : undefined;
      },
    };
  }

  start(): void {
    const cache = this.ctx.vc.cache;
    const pending: KubeObject[] = [];
    for (const c of cache.scan(resourcePrefix(this.podDef))) {
      this.account(podKey(c.obj), c.obj);
      this.trackNomination(podKey(c.obj), c.obj);
      if (this.wants(c.obj)) pending.push(c.obj);
    }
    for (const p of sortForQueue(pending)) this.controller.enqueue(podKey(p));
    this.unsubscribe.push(cache.subscribe({
      prefix: resourcePrefix(this.podDef),
      onEvent: (ev) => {
        const key = podKey(ev.obj);
        // While its binding is written, an assumed pod's other updates leave its place counted.
        const assumed = this.binding.has(key) && ev.type !== 'DELETED' && !podSpec(ev.obj).nodeName;
        const boundBefore = this.accounted.has(key);
        const freed = assumed ? false : this.account(key, ev.type === 'DELETED' ? undefined : ev.obj);
        const added = !assumed && !boundBefore && this.accounted.has(key);
        this.trackNomination(key, ev.type === 'DELETED' ? undefined : ev.obj);
        if (ev.type === 'DELETED') {
          this.unschedulable.delete(key);
          this.waitingOnPods.delete(key);
        } else if (this.wants(ev.obj)) {
          // A pod's own status updates do not make it schedulable; new pods and spec changes may.
          if (ev.type === 'ADDED' || !ev.prev || !jsonEqual(ev.prev.spec, ev.obj.spec)) this.controller.enqueue(key);
        }
        if (freed) this.flush();
        else if (added && this.waitingOnPods.size > 0) this.flush([...this.waitingOnPods]);
      },
    }));
    this.unsubscribe.push(cache.subscribe({
      prefix: resourcePrefix(this.nodeDef),
      onEvent: (ev) => {
        if (ev.type === 'DELETED') return;
        if (ev.type === 'ADDED' || !ev.prev || schedulingFacts(ev.prev) !== schedulingFacts(ev.obj)) this.flush();
      },
    }));
    this.unsubscribe.push(cache.subscribe({
      prefix: resourcePrefix(this.nsDef),
      onEvent: (ev) => {
        // Counters of terms with a namespace selector read namespace labels.
        if (ev.type === 'ADDED' || !ev.prev || !jsonEqual(ev.prev.metadata.labels, ev.obj.metadata.labels)) this.index.forgetAnyNamespaceCounters();
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

  /** The pod's priority: spec.priority, else its PriorityClass's value (for pods admitted without it), else 0. */
  private priorityOf(spec: PodSpec): number {
    if (typeof spec.priority === 'number') return spec.priority;
    const cls = (spec as { priorityClassName?: string }).priorityClassName;
    if (!cls) return 0;
    const pc = this.priorityClass(cls);
    return typeof pc?.value === 'number' ? pc.value : 0;
  }

  private preemptionPolicyOf(spec: PodSpec): string {
    if (spec.preemptionPolicy) return spec.preemptionPolicy;
    const cls = (spec as { priorityClassName?: string }).priorityClassName;
    const pc = cls ? this.priorityClass(cls) : undefined;
    return typeof pc?.preemptionPolicy === 'string' ? pc.preemptionPolicy : 'PreemptLowerPriority';
  }

  private priorityClass(name: string): KubeObject | undefined {
    try {
      return this.ctx.vc.store.peek(this.ctx.def('scheduling.k8s.io', 'v1', 'priorityclasses'), undefined, name);
    } catch {
      return undefined;
    }
  }

  /** Keep per-node usage in step with a pod; true when the change frees room somewhere. */
  private account(key: string, pod: KubeObject | undefined): boolean {
    this.indexPod(key, pod);
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

  /** Keep the pod index in step with a bound pod (labels, terms, terminating). */
  private indexPod(key: string, pod: KubeObject | undefined): void {
    const spec = pod ? podSpec(pod) : undefined;
    const prev = this.index.get(key);
    if (!pod || !spec?.nodeName || isTerminal(pod)) {
      if (prev) this.index.set(key, undefined);
      return;
    }
    if (prev && prev.pod === pod) return;
    const terminating = !!pod.metadata.deletionTimestamp;
    const labels = pod.metadata.labels ?? {};
    const startTime = podStatus(pod).startTime ?? '';
    if (prev && prev.node === spec.nodeName && prev.terminating === terminating && prev.uid === pod.metadata.uid &&
      (prev.labels === labels || jsonEqual(prev.labels, labels)) && sameAffinity(podSpec(prev.pod), spec)) {
      // Nothing the counters read changed.
      prev.pod = pod;
      prev.startTime = startTime;
      return;
    }
    this.index.set(key, {
      key, namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid, labels,
      node: spec.nodeName, priority: this.priorityOf(spec), terminating, startTime, terms: podTerms(pod), pod,
    });
  }

  /** Keep pending pods' nominations (the room they hold) in step. */
  private trackNomination(key: string, pod: KubeObject | undefined): void {
    const node = pod && this.wants(pod) ? podStatus(pod).nominatedNodeName : undefined;
    const prev = this.nominatedNode.get(key);
    if (prev !== undefined && prev !== node) {
      const m = this.nominated.get(prev);
      m?.delete(key);
      if (m && m.size === 0) this.nominated.delete(prev);
      this.nominatedNode.delete(key);
    }
    if (!node || !pod) return;
    const spec = podSpec(pod);
    let m = this.nominated.get(node);
    if (!m) this.nominated.set(node, (m = new Map()));
    m.set(key, { key, node, priority: this.priorityOf(spec), requested: podRequests(spec), ports: hostPorts(spec) });
    this.nominatedNode.set(key, node);
  }

  /** Try waiting pods again: all of them, or those named. */
  private flush(keys?: string[]): void {
    if (this.unschedulable.size === 0) return;
    const pods: KubeObject[] = [];
    for (const key of keys ?? [...this.unschedulable]) {
      if (!this.unschedulable.delete(key)) continue;
      this.waitingOnPods.delete(key);
      const [ns, name] = splitKey(key);
      const pod = this.ctx.vc.store.peek(this.podDef, ns, name);
      if (pod) pods.push(pod);
    }
    if (this.unschedulable.size === 0) this.retry.cancel('flush');
    for (const p of sortForQueue(pods)) this.controller.enqueue(podKey(p));
  }

  /** A node's usage with the room held by pods nominated there (of at least this pod's priority). */
  private loadOf(cycle: Cycle, node: string): Load {
    const used = this.usage.get(node) ?? emptyLoad;
    const noms = this.nominated.get(node);
    if (!noms) return used;
    let load: Load | undefined;
    for (const n of noms.values()) {
      if (n.key === cycle.key || n.priority < cycle.priority) continue;
      if (!load) load = { requested: new Map(used.requested), pods: used.pods, ports: [...used.ports] };
      addAmounts(load.requested, n.requested, 1);
      load.pods++;
      load.ports.push(n.ports);
    }
    return load ?? used;
  }

  /** The node's load without some of its pods (preemption's dry run). */
  private loadWithout(cycle: Cycle, node: string, removed: ReadonlySet<PodInfo>): Load {
    const base = this.loadOf(cycle, node);
    const load: Load = { requested: new Map(base.requested), pods: base.pods, ports: [...base.ports] };
    for (const p of removed) {
      const a = this.accounted.get(p.key);
      if (!a) continue;
      addAmounts(load.requested, a.requested, -1);
      load.pods--;
      const i = load.ports.indexOf(a.ports);
      if (i >= 0) load.ports.splice(i, 1);
    }
    return load;
  }

  private newCycle(pod: KubeObject, nodes: KubeObject[]): Cycle {
    const spec = podSpec(pod);
    const key = podKey(pod);
    const nodesByName = new Map(nodes.map((n) => [n.metadata.name as string, n]));
    const env: AffinityEnv = {
      index: this.index,
      nsLabels: (ns) => this.ctx.vc.store.peek(this.nsDef, undefined, ns)?.metadata.labels as Labels | undefined,
      nodeLabels: (name) => nodesByName.get(name)?.metadata.labels ?? (nodesByName.has(name) ? {} : undefined),
    };
    const namespace = pod.metadata.namespace ?? '';
    const labels = pod.metadata.labels ?? {};
    const incoming: Incoming = { key, namespace, labels, terms: podTerms(pod) };
    const spreadPod: SpreadPod = { namespace, labels, spec };
    // The hard constraints only: the defaults (for scores) are worked out when scoring.
    const spread = spreadConstraints(pod);
    return {
      pod, key, spec, req: podRequests(spec), priority: this.priorityOf(spec), preemptionPolicy: this.preemptionPolicyOf(spec),
      incoming, spreadPod, spread, nodes, nodesByName, env,
      affinity: InterPodAffinityFilter.prepare(incoming, env),
      spreadFilter: TopologySpreadFilter.prepare(spreadPod, spread.hard, nodes, this.index),
    };
  }

  /** Run the filters on one node, in upstream's order; the first failing one decides. */
  private filter(cycle: Cycle, node: KubeObject, load: Load, affinity = cycle.affinity,
    spread = cycle.spreadFilter): Rejection | undefined {
    const spec = cycle.spec;
    const ns = nodeSpec(node);
    if (ns.unschedulable && !toleratedBy(spec.tolerations, unschedulableTaint)) {
      return { reasons: [msgUnschedulable], resolvable: false };
    }
    const taints = nodeTaints(node);
    if (firstUntolerated(taints, spec.tolerations, (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) {
      return { reasons: [msgTaint], resolvable: false };
    }
    if (!matchesNodeSelectorAndAffinity(spec, node)) return { reasons: [msgAffinity], resolvable: false };
    const wanted = hostPorts(spec);
    if (wanted.length > 0 && load.ports.length > 0) {
      const taken = load.ports.flat();
      if (wanted.some((w) => taken.some((t) => portsConflict(w, t)))) return { reasons: [msgPorts], resolvable: true };
    }
    const reasons: string[] = [];
    const alloc = nodeAllocatable(node);
    if (load.pods + 1 > (alloc.get('pods') ?? 0)) reasons.push('Too many pods');
    const req = cycle.req;
    const ordered = [...req.keys()].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
    for (const r of ordered) {
      if (r === 'pods') continue;
      const want = req.get(r) ?? 0;
      if (want <= 0) continue;
      if (want > (alloc.get(r) ?? 0) - (load.requested.get(r) ?? 0)) reasons.push(`Insufficient ${r}`);
    }
    if (reasons.length > 0) return { reasons, resolvable: true };
    const s = spread?.filter(node);
    if (s) return { reasons: [s.reason], resolvable: s.resolvable };
    const a = affinity?.filter(node);
    if (a) return { reasons: [a.reason], resolvable: a.resolvable };
    return undefined;
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
    if (!pod || !this.wants(pod)) { this.unschedulable.delete(key); this.waitingOnPods.delete(key); return; }
    const nodes = [...this.ctx.vc.cache.scan(resourcePrefix(this.nodeDef))].map((c) => c.obj);
    if (nodes.length === 0) return this.fail(pod, msgNoNodes);
    const cycle = this.newCycle(pod, nodes);
    // A pod nominated by an earlier preemption goes to its node when it fits there now.
    const nominated = podStatus(pod).nominatedNodeName;
    const nominatedNode = nominated ? cycle.nodesByName.get(nominated) : undefined;
    if (nominatedNode && !this.filter(cycle, nominatedNode, this.loadOf(cycle, nominated as string))) {
      return this.assume(pod, key, nominated as string);
    }
    const rejections = new Map<string, Rejection>();
    const feasible: KubeObject[] = [];
    for (const node of nodes) {
      const name = node.metadata.name as string;
      const r = this.filter(cycle, node, this.loadOf(cycle, name));
      if (r) rejections.set(name, r); else feasible.push(node);
    }
    if (feasible.length === 0) return this.postFilter(cycle, rejections);
    this.assume(pod, key, feasible.length === 1 ? feasible[0]?.metadata.name as string : this.pick(cycle, feasible));
  }

  private assume(pod: KubeObject, key: string, node: string): void {
    // As upstream's scheduler does, the pod is assumed on the node at once and bound in the
    // background: the next pod is placed (counting this one) while this binding is written.
    this.account(key, { ...pod, spec: { ...podSpec(pod), nodeName: node } });
    this.unschedulable.delete(key);
    this.waitingOnPods.delete(key);
    this.binding.add(key);
    void this.bind(pod, key, node);
    // Pods waiting for a pod to be placed (required affinity, spread) may fit now.
    if (this.waitingOnPods.size > 0) this.flush([...this.waitingOnPods]);
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

  private pick(cycle: Cycle, feasible: KubeObject[]): string {
    const spec = cycle.spec;
    const nonZero = podRequests(spec, true);
    const raw = feasible.map((n) => ({ name: n.metadata.name as string, ...this.score(spec, n, nonZero) }));
    // Normalise the taint and affinity scores to 0..100 across the feasible nodes, as upstream does.
    const maxTaints = Math.max(0, ...raw.map((r) => r.taints));
    const maxAffinity = Math.max(0, ...raw.map((r) => r.affinity));
    // Topology spread scores with the pod's soft constraints, or the cluster's defaults.
    const soft = cycle.spread.soft.length > 0 || cycle.spread.hard.length > 0 ? cycle.spread : spreadConstraints(cycle.pod, this.selectorSources);
    const spreadScores = topologySpreadScores(cycle.spreadPod, soft, feasible, cycle.nodes, this.index);
    const podAffinityScores = interPodAffinityScores(cycle.incoming, feasible, cycle.env);
    let best = -Infinity;
    let chosen = raw[0]?.name as string;
    let ties = 0;
    for (const r of raw) {
      const taintScore = maxTaints > 0 ? 100 - (r.taints * 100) / maxTaints : 100;
      const affinityScore = maxAffinity > 0 ? (r.affinity * 100) / maxAffinity : 0;
      const total = r.base + 3 * taintScore + 2 * affinityScore + 2 * (spreadScores?.get(r.name) ?? 0) +
        2 * (podAffinityScores?.get(r.name) ?? 0);
      if (total > best + 1e-9) { best = total; chosen = r.name; ties = 1; }
      else if (Math.abs(total - best) <= 1e-9 && Math.random() * ++ties < 1) chosen = r.name;
    }
    return chosen;
  }

  /** Nothing fits: DefaultPreemption, then the failure recorded (with the nomination, if any). */
  private async postFilter(cycle: Cycle, rejections: Map<string, Rejection>): Promise<void> {
    const { pod, nodes } = cycle;
    const total = nodes.length;
    const base = rejectionMessage(total, rejections.values());
    this.waitingOnPods.delete(cycle.key);
    if (cycle.incoming.terms.requiredAffinity.length > 0 || cycle.spread.hard.length > 0) this.waitingOnPods.add(cycle.key);
    if (cycle.preemptionPolicy === 'Never') return this.fail(pod, `${base} preemption: ${msgPolicyNever}`);
    const nominated = podStatus(pod).nominatedNodeName;
    if (nominated && rejections.get(nominated)?.resolvable !== false) {
      for (const p of this.index.podsOn(nominated)) {
        if (p.priority < cycle.priority && terminatingByPreemption(p.pod)) {
          return this.fail(pod, `${base} preemption: ${msgTerminatingOnNominated}`);
        }
      }
    }
    const outcome = new Map<string, Rejection>();
    const candidates: Candidate[] = [];
    const potential = nodes.filter((n) => rejections.get(n.metadata.name as string)?.resolvable);
    const pdbs = potential.length > 0 ? budgets(this.scanAll('policy', 'poddisruptionbudgets')) : [];
    for (const node of potential) {
      const name = node.metadata.name as string;
      const lower = [...this.index.podsOn(name)].filter((p) => p.priority < cycle.priority);
      const r = selectVictims(lower, (removed) => this.fitsWithout(cycle, node, removed), pdbs);
      if ('rejection' in r) outcome.set(name, r.rejection);
      else candidates.push({ node: name, victims: r.victims, pdbViolations: r.pdbViolations });
    }
    const best = pickCandidate(candidates);
    if (!best) {
      const all = nodes.map((n) => outcome.get(n.metadata.name as string) ?? { reasons: [msgNotHelpful], resolvable: false });
      return this.fail(pod, `${base} preemption: ${rejectionMessage(total, all)}`, '');
    }
    await this.fail(pod, base, best.node);
    await this.preempt(cycle, best);
  }

  /** Whether the pod fits on the node with these pods gone (a rejection when not). */
  private fitsWithout(cycle: Cycle, node: KubeObject, removed: ReadonlySet<PodInfo>): Rejection | undefined {
    const name = node.metadata.name as string;
    let affinity = cycle.affinity;
    let spread = cycle.spreadFilter;
    if (removed.size > 0 && (affinity || spread)) {
      affinity = affinity?.clone();
      spread = spread?.clone();
      const labels = node.metadata.labels ?? {};
      for (const p of removed) {
        affinity?.update(p, labels, -1);
        spread?.update(p, node, -1);
      }
    }
    return this.filter(cycle, node, this.loadWithout(cycle, name, removed), affinity, spread);
  }

  private *scanAll(group: string, plural: string): Generator<KubeObject> {
    let def: ResourceDef;
    try { def = this.ctx.def(group, 'v1', plural); } catch { return; }
    for (const c of this.ctx.vc.cache.scan(resourcePrefix(def))) yield c.obj;
  }

  /** Carry out a preemption: victims marked and deleted, lower nominations on the node cleared. */
  private async preempt(cycle: Cycle, c: Candidate): Promise<void> {
    const message = `${cycle.spec.schedulerName || defaultSchedulerName}: preempting to accommodate a higher priority pod`;
    await Promise.all(c.victims.map(async (v) => {
      if (v.pod.metadata.deletionTimestamp) return;
      try {
        await this.ctx.vc.store.guaranteedUpdate(this.podDef, v.namespace, v.name, (cur) => {
          const obj = cur as KubeObject;
          if (obj.metadata.uid !== v.uid) return obj;
          const st = (obj.status ?? (obj.status = {})) as PodStatus;
          const cond = { type: 'DisruptionTarget', status: 'True' as const, reason: 'PreemptionByScheduler', message, observedGeneration: obj.metadata.generation };
          if (cond.observedGeneration === undefined) delete (cond as { observedGeneration?: number }).observedGeneration;
          st.conditions = withPodCondition(st.conditions, cond, nowTimestamp(this.ctx.now()));
          return obj;
        }, { subresource: 'status', fieldManager: defaultSchedulerName });
        await this.ctx.vc.store.delete(this.podDef, v.namespace, v.name, { preconditions: { uid: v.uid } });
      } catch (e) {
        if (e instanceof ApiError && (e.code === 404 || e.code === 409)) return;
        console.error(`kubevisor: scheduler: preempting ${v.key}: ${(e as Error).message}`);
        return;
      }
      void this.ctx.events.record(v.pod, 'Normal', 'Preempted', `Preempted by pod ${cycle.pod.metadata.uid ?? ''} on node ${c.node}`, defaultSchedulerName);
    }));
    // Lower-priority pods nominated to this node may no longer fit there.
    for (const n of [...(this.nominated.get(c.node)?.values() ?? [])]) {
      if (n.key === cycle.key || n.priority >= cycle.priority) continue;
      const [ns, name] = splitKey(n.key);
      try {
        await this.ctx.vc.store.guaranteedUpdate(this.podDef, ns, name, (cur) => {
          const obj = cur as KubeObject;
          const st = obj.status as PodStatus | undefined;
          if (st?.nominatedNodeName) delete st.nominatedNodeName;
          return obj;
        }, { subresource: 'status', fieldManager: defaultSchedulerName });
      } catch {
        // Gone meanwhile.
      }
    }
  }

  /**
   * Record the failure: PodScheduled=False/Unschedulable with the message and a FailedScheduling
   * event; `nominate` sets status.nominatedNodeName (a node) or clears it ('').
   */
  private async fail(pod: KubeObject, message: string, nominate?: string): Promise<void> {
    const key = podKey(pod);
    const [ns, name] = splitKey(key);
    const uid = pod.metadata.uid;
    const cond = { type: 'PodScheduled', status: 'False' as const, reason: 'Unschedulable', message };
    const st0 = podStatus(pod);
    const current = st0.conditions?.find((c) => c.type === 'PodScheduled');
    const nominationChanges = nominate !== undefined && (st0.nominatedNodeName ?? '') !== nominate;
    if (!current || current.status !== 'False' || current.reason !== cond.reason || current.message !== message || nominationChanges) {
      try {
        await this.ctx.vc.store.guaranteedUpdate(this.podDef, ns, name, (cur) => {
          const obj = cur as KubeObject;
          if (obj.metadata.uid !== uid || !this.wants(obj)) return obj;
          const st = (obj.status ?? (obj.status = {})) as PodStatus;
          const c = { ...cond, observedGeneration: obj.metadata.generation };
          if (c.observedGeneration === undefined) delete (c as { observedGeneration?: number }).observedGeneration;
          st.conditions = withPodCondition(st.conditions, c, nowTimestamp(this.ctx.now()));
          if (nominate) st.nominatedNodeName = nominate;
          else if (nominate === '') delete st.nominatedNodeName;
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

/** Whether two pod specs have the same (anti-)affinity. */
function sameAffinity(a: PodSpec, b: PodSpec): boolean {
  return a.affinity === b.affinity || jsonEqual(a.affinity, b.affinity);
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
