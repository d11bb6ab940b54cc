// Simulated nodes for standalone clusters, in the manner of KWOK: Node objects
// and their Leases kept fresh like a kubelet would, and one kubelet loop for all
// of them, driven by watch events on the pods bound to them. Pods get statuses,
// addresses and events as on a real node; nothing actually runs.
//
// Cheap when idle: one interval timer renews every node's lease (every 10 s),
// and pod transitions share one timer armed only while a transition is pending.

import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import { jsonEqual } from '../registry/generic/metadata.ts';
import type { ResourceDef } from '../registry/types.ts';
import type { ControllerContext } from '../controllers/context.ts';
import { Controller } from '../controllers/runtime.ts';
import type { NodeCondition, ResourceList } from './api.ts';
import { isTerminal, microTimestamp, nodeSpec, nodeStatus, podKey, podSpec, podStatus, splitKey } from './api.ts';
import { formatCidr, nodeAddress, nodeRange, parseCidr, PodAddresses } from './ipam.ts';
import type { KubeletTiming, NodeEnv, PodRuntime } from './kubelet.ts';
import { admitPod, adoptPod, advance, defaultTiming, nextWake, renderStatus } from './kubelet.ts';
import type { NodeIdentity } from './node-object.ts';
import { conditionsHealthy, newLease, newNode, nodeLabels, nodeLeaseNamespace, nodeStatusFor } from './node-object.ts';
import { Deadlines } from './timers.ts';

export interface SimulatedNodesOptions {
  /** How many nodes. */
  count: number;
  /** Node names are `<prefix>-<i>` (default "kubevisor-node"); a prefix ending in "-" is used as is. */
  namePrefix?: string;
  /** Each node's capacity (and allocatable). Default cpu 4, memory 16Gi, pods 110, ephemeral-storage 100Gi. */
  capacity?: { cpu?: string | number; memory?: string | number; pods?: string | number; [resource: string]: string | number | undefined };
  /** The cluster's pod CIDR; node i gets its i-th /24 (default 10.244.0.0/16). IPv4 only. */
  podCIDR?: string;
  /** Extra labels on every node. */
  labels?: Record<string, string>;
  /** How fast simulated containers move (see KubeletTiming). */
  timing?: Partial<KubeletTiming>;
  /** Lease duration the nodes announce (upstream: 40 s). */
  leaseDurationSeconds?: number;
  /** How often leases are renewed (upstream: every 10 s). */
  leaseRenewMs?: number;
  /** How often an unchanged node status is posted anyway (upstream: 5 minutes). */
  statusReportMs?: number;
}

interface SimNode extends NodeEnv {
  readonly id: NodeIdentity;
  readonly ips: PodAddresses;
  readonly images: Set<string>;
  gone: boolean;
  lastReport: number;
}

const fieldManager = 'kubelet';

export class NodeSimulator {
  readonly ready: Promise<void>;
  private readonly ctx: ControllerContext;
  private readonly podDef: ResourceDef;
  private readonly nodeDef: ResourceDef;
  private readonly leaseDef: ResourceDef;
  private readonly nodes = new Map<string, SimNode>();
  /** The pods this kubelet runs, with the node each runs on. */
  private readonly runtimes = new Map<string, { rt: PodRuntime; node: SimNode }>();
  private readonly released = new WeakSet<PodRuntime>();
  private readonly timing: KubeletTiming;
  private readonly controller: Controller;
  private readonly wake: Deadlines;
  private readonly leaseSeconds: number;
  private readonly statusReportMs: number;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly tick: NodeJS.Timeout;
  private stopped = false;

  constructor(ctx: ControllerContext, opts: SimulatedNodesOptions) {
    this.ctx = ctx;
    this.podDef = ctx.def('', 'v1', 'pods');
    this.nodeDef = ctx.def('', 'v1', 'nodes');
    this.leaseDef = ctx.def('coordination.k8s.io', 'v1', 'leases');
    this.timing = { ...defaultTiming, ...(opts.timing ?? {}) };
    this.leaseSeconds = opts.leaseDurationSeconds ?? 40;
    this.statusReportMs = opts.statusReportMs ?? 5 * 60_000;
    const prefix = opts.namePrefix ?? 'kubevisor-node';
    const cluster = parseCidr(opts.podCIDR ?? '10.244.0.0/16');
    const capacity: ResourceList = { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' };
    for (const [k, v] of Object.entries(opts.capacity ?? {})) if (v !== undefined) capacity[k] = v;
    for (let i = 0; i < opts.count; i++) {
      const name = prefix.endsWith('-') ? `${prefix}${i}` : `${prefix}-${i}`;
      const range = nodeRange(cluster, i);
      const id: NodeIdentity = { name, hostIP: nodeAddress(i), podCIDR: formatCidr(range), capacity, labels: opts.labels };
      const ips = new PodAddresses(range);
      const images = new Set<string>();
      this.nodes.set(name, {
        id, ips, images, gone: false, lastReport: 0, name, hostIP: id.hostIP,
        allocateIP: () => ips.allocate(),
        releaseIP: (ip) => ips.release(ip),
        reserveIP: (ip) => { ips.reserve(ip); },
        pullImage: (image) => { const had = images.has(image); images.add(image); return had; },
      });
    }
    // Pods are worked on side by side, as a kubelet's pod workers are: their status writes share commits.
    this.controller = new Controller('kubelet', (key) => this.syncPod(key), { workers: 32 });
    this.wake = new Deadlines((keys) => { for (const k of keys) this.controller.enqueue(k); });
    this.tick = setInterval(() => void this.heartbeat(), opts.leaseRenewMs ?? 10_000);
    this.tick.unref();
    this.ready = this.start();
  }

  private async start(): Promise<void> {
    const cache = this.ctx.vc.cache;
    // Subscribe first, so no pod event falls between the scan and the subscription.
    this.unsubscribe.push(cache.subscribe({
      prefix: resourcePrefix(this.podDef),
      onEvent: (ev) => {
        const now = podSpec(ev.obj).nodeName;
        const before = ev.prev ? podSpec(ev.prev).nodeName : undefined;
        if (this.ours(now) || this.ours(before) || this.runtimes.has(podKey(ev.obj))) this.controller.enqueue(podKey(ev.obj));
      },
    }));
    this.unsubscribe.push(cache.subscribe({
      prefix: resourcePrefix(this.nodeDef),
      onEvent: (ev) => {
        const n = this.nodes.get(ev.obj.metadata.name as string);
        if (!n || n.gone) return;
        if (ev.type === 'DELETED') void this.nodeDeleted(n);
      },
    }));
    for (const n of this.nodes.values()) {
      try {
        await this.register(n);
      } catch (e) {
        console.error(`kubevisor: simulated node ${n.name}: ${(e as Error).message}`);
      }
    }
    for (const c of cache.scan(resourcePrefix(this.podDef))) {
      if (this.ours(podSpec(c.obj).nodeName)) this.controller.enqueue(podKey(c.obj));
    }
    await this.ctx.events.flush();
  }

  private ours(nodeName: string | undefined): boolean {
    if (!nodeName) return false;
    const n = this.nodes.get(nodeName);
    return n !== undefined && !n.gone;
  }

  /** Create the node (or take over the one already stored) and its lease. */
  private async register(n: SimNode): Promise<void> {
    const store = this.ctx.vc.store;
    const now = this.ctx.now();
    let node = store.peek(this.nodeDef, undefined, n.name);
    if (!node) {
      try {
        node = await store.create(this.nodeDef, undefined, newNode(n.id, now), { fieldManager });
        this.nodeEvents(node, [
          ['Starting', 'Starting kubelet.'],
          ['NodeHasSufficientMemory', `Node ${n.name} status is now: NodeHasSufficientMemory`],
          ['NodeHasNoDiskPressure', `Node ${n.name} status is now: NodeHasNoDiskPressure`],
          ['NodeHasSufficientPID', `Node ${n.name} status is now: NodeHasSufficientPID`],
          ['NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods'],
          ['NodeReady', `Node ${n.name} status is now: NodeReady`],
        ]);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 409)) throw e;
        node = store.peek(this.nodeDef, undefined, n.name);
      }
    } else {
      // A node left by an earlier run: the kubelet's labels and pod CIDR, then a fresh status.
      const want = nodeLabels(n.id);
      const spec = nodeSpec(node);
      const labels = node.metadata.labels ?? {};
      if (Object.entries(want).some(([k, v]) => labels[k] !== v) || !spec.podCIDR) {
        node = (await store.guaranteedUpdate(this.nodeDef, undefined, n.name, (cur) => {
          const obj = cur as KubeObject;
          obj.metadata.labels = { ...(obj.metadata.labels ?? {}), ...want };
          const s = (obj.spec ?? (obj.spec = {})) as Record<string, unknown>;
          if (!s.podCIDR) { s.podCIDR = n.id.podCIDR; s.podCIDRs = [n.id.podCIDR]; }
          return obj;
        }, { fieldManager })).obj;
      }
      this.nodeEvents(node, [['Starting', 'Starting kubelet.']]);
      await this.postStatus(n);
    }
    n.lastReport = Date.now();
    if (node) await this.renewLease(n, node);
  }

  private nodeEvents(node: KubeObject, list: [string, string][]): void {
    for (const [reason, message] of list) this.record(node, 'Normal', reason, message, node.metadata.name as string);
  }

  private record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, host: string, fieldPath?: string): void {
    if (this.stopped) return;
    // The recorder queues the event and writes it off this path, in order per object.
    void this.ctx.events.record(obj, type, reason, message, 'kubelet', host, fieldPath);
  }

  /** Post the status a healthy kubelet reports. */
  private async postStatus(n: SimNode): Promise<void> {
    const store = this.ctx.vc.store;
    const before = store.peek(this.nodeDef, undefined, n.name);
    if (!before) return;
    const wasReady = conditionsHealthy(nodeStatus(before).conditions);
    const { obj } = await store.guaranteedUpdate(this.nodeDef, undefined, n.name, (cur) => {
      const node = cur as KubeObject;
      const prev = nodeStatus(node);
      const next = nodeStatusFor(n.id, prev.conditions as NodeCondition[] | undefined, this.ctx.now());
      node.status = { ...prev, ...next };
      return node;
    }, { subresource: 'status', fieldManager });
    n.lastReport = Date.now();
    if (!wasReady) this.nodeEvents(obj, [['NodeReady', `Node ${n.name} status is now: NodeReady`]]);
  }

  private async renewLease(n: SimNode, node: KubeObject): Promise<void> {
    const store = this.ctx.vc.store;
    const now = this.ctx.now();
    const lease = store.peek(this.leaseDef, nodeLeaseNamespace, n.name);
    if (!lease) {
      try {
        await store.create(this.leaseDef, nodeLeaseNamespace, newLease(node, this.leaseSeconds, now), { fieldManager });
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 409)) throw e;
      }
      return;
    }
    await store.guaranteedUpdate(this.leaseDef, nodeLeaseNamespace, n.name, (cur) => {
      const obj = cur as KubeObject;
      const spec = (obj.spec ?? (obj.spec = {})) as Record<string, unknown>;
      spec.holderIdentity = n.name;
      spec.leaseDurationSeconds = this.leaseSeconds;
      spec.renewTime = microTimestamp(now);
      obj.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: n.name, uid: node.metadata.uid as string }];
      return obj;
    }, { fieldManager });
  }

  /** Every lease period: renew leases; re-post node status when it is due or someone else changed it. */
  private async heartbeat(): Promise<void> {
    if (this.stopped) return;
    for (const n of this.nodes.values()) {
      if (n.gone) continue;
      try {
        const node = this.ctx.vc.store.peek(this.nodeDef, undefined, n.name);
        if (!node) continue;
        await this.renewLease(n, node);
        if (Date.now() - n.lastReport >= this.statusReportMs || !conditionsHealthy(nodeStatus(node).conditions)) {
          await this.postStatus(n);
        }
      } catch (e) {
        if (!this.stopped) console.error(`kubevisor: simulated node ${n.name}: heartbeat: ${(e as Error).message}`);
      }
    }
  }

  /** The node object was deleted: this kubelet stops, and its lease goes with the node. */
  private async nodeDeleted(n: SimNode): Promise<void> {
    n.gone = true;
    for (const [key, r] of this.runtimes) if (r.node === n) this.forget(key);
    try {
      await this.ctx.vc.store.delete(this.leaseDef, nodeLeaseNamespace, n.name);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) console.error(`kubevisor: simulated node ${n.name}: ${(e as Error).message}`);
    }
  }

  private forget(key: string): void {
    this.wake.cancel(key);
    const r = this.runtimes.get(key);
    this.runtimes.delete(key);
    if (r) this.releaseIP(r.rt, r.node);
  }

  private releaseIP(rt: PodRuntime, n: SimNode): void {
    if (this.released.has(rt)) return;
    this.released.add(rt);
    if (rt.ip && rt.ip !== n.hostIP) n.releaseIP(rt.ip);
  }

  /** The kubelet's pod worker: advance the pod's containers, report its status, finish deletions. */
  private async syncPod(key: string): Promise<void> {
    if (this.stopped) return;
    const [ns, name] = splitKey(key);
    const store = this.ctx.vc.store;
    const pod = store.peek(this.podDef, ns, name);
    const n = pod ? this.nodes.get(podSpec(pod).nodeName ?? '') : undefined;
    if (!pod || !n || n.gone) { this.forget(key); return; }
    let rt = this.runtimes.get(key)?.rt;
    if (rt && rt.uid !== pod.metadata.uid) {
      this.forget(key);
      rt = undefined;
    }
    const now = Date.now();
    if (!rt) {
      if (isTerminal(pod)) {
        // Finished before this kubelet saw it (a restart): nothing runs; a deletion completes at once.
        if (pod.metadata.deletionTimestamp) await this.finishDeletion(pod);
        return;
      }
      rt = podStatus(pod).startTime ? adoptPod(pod, now, this.timing, n) : admitPod(pod, now, this.timing);
      this.runtimes.set(key, { rt, node: n });
    }
    for (const ev of advance(rt, pod, now, n, this.timing)) this.record(pod, ev.type, ev.reason, ev.message, n.name, ev.fieldPath);
    // While containers stop, the status is left alone: the generic store removes an object with a
    // deletionTimestamp on any update (upstream only once the grace period is 0), so the final status
    // is written once they have stopped.
    if (!pod.metadata.deletionTimestamp || rt.terminal) await this.writeStatus(ns, name, rt, n, now);
    if (rt.terminal) {
      this.wake.cancel(key);
      this.releaseIP(rt, n);
      if (pod.metadata.deletionTimestamp && !rt.deleteRequested) {
        rt.deleteRequested = true;
        await this.finishDeletion(pod);
      }
      return;
    }
    this.wake.reset(key, nextWake(rt, pod, now));
  }

  private async writeStatus(ns: string, name: string, rt: PodRuntime, n: SimNode, now: number): Promise<void> {
    const store = this.ctx.vc.store;
    const cur = store.peek(this.podDef, ns, name);
    if (!cur || cur.metadata.uid !== rt.uid || (cur.metadata.deletionTimestamp && !rt.terminal)) return;
    const desired = renderStatus(rt, cur, podStatus(cur), n, now);
    if (jsonEqual(desired, cur.status)) return;
    try {
      await store.guaranteedUpdate(this.podDef, ns, name, (c) => {
        const obj = c as KubeObject;
        if (obj.metadata.uid !== rt.uid || (obj.metadata.deletionTimestamp && !rt.terminal)) return obj;
        obj.status = renderStatus(rt, obj, podStatus(obj), n, now);
        return obj;
      }, { subresource: 'status', fieldManager });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }

  /** The containers are gone: remove the pod for good (what the kubelet's final delete does). */
  private async finishDeletion(pod: KubeObject): Promise<void> {
    try {
      await this.ctx.vc.store.delete(this.podDef, pod.metadata.namespace, pod.metadata.name as string, {
        gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid }, fieldManager,
      });
    } catch (e) {
      if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
    }
  }

  /** Names of the simulated nodes. */
  get nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.tick);
    for (const u of this.unsubscribe.splice(0)) u();
    this.controller.stop();
    this.wake.stop();
  }
}

export type StopSimulatedNodes = (() => void) & {
  /** Settles once the nodes and leases are registered. */
  ready: Promise<void>;
  simulator: NodeSimulator;
};

/**
 * Start `opts.count` simulated nodes (Node objects, leases, and a kubelet loop
 * for the pods bound to them). Returns a function that stops them; the Node
 * objects stay (as when kubelets die) and turn NotReady once their leases expire.
 */
export function startSimulatedNodes(ctx: ControllerContext, opts: SimulatedNodesOptions): StopSimulatedNodes {
  const sim = new NodeSimulator(ctx, opts);
  sim.ready.catch((e: unknown) => console.error(`kubevisor: simulated nodes: ${(e as Error).message}`));
  return Object.assign(() => sim.stop(), { ready: sim.ready, simulator: sim });
}
