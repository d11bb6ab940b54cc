// Cluster IPs and node ports for Services, allocated the way kube-apiserver's
// service registry does: a single-stack IPv4 service CIDR (10.96.0.0/12 by
// default, its first address kept for default/kubernetes) and a node port range
// (30000-32767). Requested values are honoured or refused with upstream's 422;
// the rest are picked at random from the upper part of the range first (the
// lower part is left for requests), never twice.
//
// What is held comes from two places: the Services in storage (followed through
// the watch cache, so the state is rebuilt at start-up and a deleted Service
// releases its values) and in-flight writes (reserved by allocateForService until
// the write lands, fails, or a minute has passed).

import { errors, ApiError, type FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import type { AdmissionPlugin } from '../../registry/generic/admission.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import type { CacheEvent, WatchCache } from '../../registry/generic/watch-cache.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { ControllerContext } from '../context.ts';
import { arr, goStringSlice, isIPv6, nsKey, rec, str, type Obj } from './util.ts';

export interface ServiceAllocatorOptions {
  /** The service CIDR (IPv4). Default 10.96.0.0/12. */
  serviceCIDR?: string;
  /** The node port range, `first-last`. Default 30000-32767. */
  nodePortRange?: string;
}

/** What a write holds until it lands or fails: call commit() after a successful write, revert() after a failed one. */
export interface Allocation {
  commit(): void;
  revert(): void;
  /** Committed, reverted, or seen landed in storage. */
  readonly settled: boolean;
}

const ipAllocated = 'provided IP is already allocated';
const portAllocated = 'provided port is already allocated';
const rangeFull = 'range is full';
const mismatchedNetwork = 'the provided network does not match the current range';
const pendingLifetimeMs = 60_000;

function parseIPv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function formatIPv4(n: number): string {
  return [n >>> 24 & 255, n >>> 16 & 255, n >>> 8 & 255, n & 255].join('.');
}

/**
 * A band of integers to hand out: values `first .. first+size-1`; dynamic
 * picks start at random in the part above `offset` and fall back to the part
 * below it (upstream keeps the low part for requested values).
 */
class Band {
  readonly first: number;
  readonly size: number;
  readonly offset: number;
  constructor(first: number, size: number, offset: number) {
    this.first = first;
    this.size = size;
    this.offset = offset;
  }
  contains(v: number): boolean {
    return v >= this.first && v < this.first + this.size;
  }
  pick(free: (v: number) => boolean): number | undefined {
    const scan = (from: number, count: number): number | undefined => {
      if (count <= 0) return undefined;
      const start = Math.floor(Math.random() * count);
      for (let i = 0; i < count; i++) {
        const v = this.first + from + ((start + i) % count);
        if (free(v)) return v;
      }
      return undefined;
    };
    return scan(this.offset, this.size - this.offset) ?? scan(0, this.offset);
  }
}

/** upstream's min(max(lo, size/step), hi) offset of the range reserved for requested values. */
function rangeOffset(size: number, lo: number, step: number, hi: number): number {
  if (size < lo) return 0;
  return Math.min(Math.max(lo, Math.floor(size / step)), hi);
}

interface Held { uid: string | undefined; ips: number[]; ports: number[] }

interface Txn { id: string; key: string; ips: number[]; ports: number[]; at: number; done: boolean }

function typeOf(spec: Obj): string {
  return str(spec.type) || 'ClusterIP';
}

function needsNodePorts(spec: Obj): boolean {
  const t = typeOf(spec);
  return t === 'NodePort' || t === 'LoadBalancer';
}

function allocatesNodePorts(spec: Obj): boolean {
  const t = typeOf(spec);
  return t === 'NodePort' || (t === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

function needsHealthCheck(spec: Obj): boolean {
  return typeOf(spec) === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

function clusterIPsOf(spec: Obj): string[] {
  return arr(spec.clusterIPs).filter((x): x is string => typeof x === 'string');
}

function headless(spec: Obj): boolean {
  const ips = clusterIPsOf(spec);
  return spec.clusterIP === 'None' || (ips.length > 0 && ips[0] === 'None');
}

function portsOf(spec: Obj): Obj[] {
  return arr(spec.ports).filter((p): p is Obj => typeof p === 'object' && p !== null && !Array.isArray(p));
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) ? v : 0;
}

function invalid(svc: KubeObject, errs: FieldError[]): ApiError {
  return errors.invalid({ group: '', kind: 'Service' }, svc.metadata.name ?? '', errs);
}

export class ServiceAllocator {
  readonly serviceCIDR: string;
  readonly nodePortRange: string;
  private readonly ipBand: Band;
  private readonly network: number;
  private readonly broadcast: number;
  private readonly portBand: Band;
  private readonly ipHolders = new Map<number, Set<string>>();
  private readonly portHolders = new Map<number, Set<string>>();
  private readonly committed = new Map<string, Held>();
  private readonly pending = new Map<string, Txn>();
  /** Writes admitted per service and not settled yet, for the admission plugin's abort. */
  private readonly admitted = new Map<string, Allocation[]>();
  private seq = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(opts: ServiceAllocatorOptions = {}) {
    this.serviceCIDR = opts.serviceCIDR ?? '10.96.0.0/12';
    const m = /^([0-9.]+)\/(\d{1,2})$/.exec(this.serviceCIDR);
    const base = m ? parseIPv4(m[1]) : undefined;
    const bits = m ? Number(m[2]) : NaN;
    if (base === undefined || !(bits >= 1 && bits <= 30)) throw new Error(`invalid IPv4 service CIDR ${this.serviceCIDR}`);
    const total = 2 ** (32 - bits);
    this.network = base - (base % total);
    this.broadcast = this.network + total - 1;
    // Neither the network nor the broadcast address is handed out.
    this.ipBand = new Band(this.network + 1, total - 2, rangeOffset(total, 16, 16, 256));

    this.nodePortRange = opts.nodePortRange ?? '30000-32767';
    const pr = /^(\d+)-(\d+)$/.exec(this.nodePortRange);
    const lo = pr ? Number(pr[1]) : NaN, hi = pr ? Number(pr[2]) : NaN;
    if (!(lo >= 1 && hi <= 65535 && lo <= hi)) throw new Error(`invalid node port range ${this.nodePortRange}`);
    const size = hi - lo + 1;
    this.portBand = new Band(lo, size, rangeOffset(size, 16, 32, 128));

    // The first address belongs to the API server's own service.
    this.hold(this.ipHolders, this.ipBand.first, 'svc:default/kubernetes');
  }

  /** The address default/kubernetes gets (10.96.0.1 by default). */
  get kubernetesServiceIP(): string {
    return formatIPv4(this.ipBand.first);
  }

  // ---- bookkeeping ---------------------------------------------------------

  private hold(m: Map<number, Set<string>>, v: number, id: string): void {
    let s = m.get(v);
    if (!s) m.set(v, (s = new Set()));
    s.add(id);
  }

  private unhold(m: Map<number, Set<string>>, v: number, id: string): void {
    const s = m.get(v);
    if (!s) return;
    s.delete(id);
    if (s.size === 0) m.delete(v);
  }

  /** Free for service `key`: nobody holds it, or only that service (stored or in flight). */
  private freeFor(m: Map<number, Set<string>>, v: number, key: string, self?: Txn): boolean {
    const s = m.get(v);
    if (!s) return true;
    for (const id of s) {
      if (id === `svc:${key}`) continue;
      if (id.startsWith(`txn:${key}:`) && id !== self?.id) continue;
      return false;
    }
    return !self || !s.has(self.id);
  }

  private heldBy(svc: KubeObject): Held {
    const spec = rec(svc.spec);
    const ips: number[] = [];
    if (typeOf(spec) !== 'ExternalName') {
      for (const ip of clusterIPsOf(spec).length > 0 ? clusterIPsOf(spec) : [str(spec.clusterIP)]) {
        const n = parseIPv4(ip);
        if (n !== undefined && this.ipBand.contains(n)) ips.push(n);
      }
    }
    const ports: number[] = [];
    for (const p of portsOf(spec)) {
      const np = num(p.nodePort);
      if (np && this.portBand.contains(np)) ports.push(np);
    }
    const hc = num(spec.healthCheckNodePort);
    if (hc && this.portBand.contains(hc)) ports.push(hc);
    return { uid: svc.metadata.uid, ips, ports };
  }

  /** Record what a stored Service holds (replacing what it held before). */
  observe(svc: KubeObject): void {
    const key = nsKey(svc.metadata.namespace, svc.metadata.name ?? '');
    const id = `svc:${key}`;
    const before = this.committed.get(key);
    if (before) {
      for (const v of before.ips) if (v !== this.ipBand.first || key !== 'default/kubernetes') this.unhold(this.ipHolders, v, id);
      for (const v of before.ports) this.unhold(this.portHolders, v, id);
    }
    const now = this.heldBy(svc);
    this.committed.set(key, now);
    for (const v of now.ips) this.hold(this.ipHolders, v, id);
    for (const v of now.ports) this.hold(this.portHolders, v, id);
    // Writes in flight for this service that have now landed hold nothing more.
    for (const t of [...this.pending.values()]) {
      if (t.key === key && t.ips.every((v) => now.ips.includes(v)) && t.ports.every((v) => now.ports.includes(v))) this.finish(t);
    }
  }

  /** Release what a Service held (it was deleted). */
  releaseForService(svc: KubeObject): void {
    const key = nsKey(svc.metadata.namespace, svc.metadata.name ?? '');
    const held = this.committed.get(key);
    if (held && (!held.uid || !svc.metadata.uid || held.uid === svc.metadata.uid)) {
      const id = `svc:${key}`;
      for (const v of held.ips) if (v !== this.ipBand.first || key !== 'default/kubernetes') this.unhold(this.ipHolders, v, id);
      for (const v of held.ports) this.unhold(this.portHolders, v, id);
      this.committed.delete(key);
    }
    for (const t of [...this.pending.values()]) if (t.key === key) this.finish(t);
  }

  private finish(t: Txn): void {
    if (t.done) return;
    t.done = true;
    for (const v of t.ips) this.unhold(this.ipHolders, v, t.id);
    for (const v of t.ports) this.unhold(this.portHolders, v, t.id);
    this.pending.delete(t.id);
  }

  private expire(): void {
    const limit = Date.now() - pendingLifetimeMs;
    for (const t of [...this.pending.values()]) if (t.at < limit) this.finish(t);
  }

  /** Whether an address (or node port) is held by any Service or write in flight. */
  isIPAllocated(ip: string): boolean {
    const n = parseIPv4(ip);
    return n !== undefined && this.ipHolders.has(n);
  }

  isNodePortAllocated(port: number): boolean {
    return this.portHolders.has(port);
  }

  // ---- allocation ------------------------------------------------------------

  /**
   * Allocate what `svc` needs (create, or update from `old`), filling in
   * spec.clusterIP/clusterIPs, ports[].nodePort and healthCheckNodePort.
   * Throws upstream's 422 (or 500 when a range is full). With dryRun nothing
   * is kept.
   */
  allocateForService(svc: KubeObject, old?: KubeObject, opts: { dryRun?: boolean } = {}): Allocation {
    this.expire();
    const key = nsKey(svc.metadata.namespace, svc.metadata.name ?? '');
    const txn: Txn = { id: `txn:${key}:${++this.seq}`, key, ips: [], ports: [], at: Date.now(), done: false };
    if (!svc.spec || typeof svc.spec !== 'object' || Array.isArray(svc.spec)) svc.spec = {};
    const spec = svc.spec as Obj;
    const oldSpec = old ? rec(old.spec) : undefined;
    this.pending.set(txn.id, txn);
    try {
      this.initIPFamilyFields(svc, spec, oldSpec);
      this.allocClusterIPs(svc, spec, oldSpec, txn);
      this.allocNodePorts(svc, spec, oldSpec, txn);
    } catch (e) {
      this.finish(txn);
      throw e;
    }
    if (opts.dryRun) this.finish(txn);
    const done = () => this.finish(txn);
    return { commit: done, revert: done, get settled() { return txn.done; } };
  }

  private reserveIP(n: number, txn: Txn): void {
    this.hold(this.ipHolders, n, txn.id);
    txn.ips.push(n);
  }

  private reservePort(n: number, txn: Txn): void {
    this.hold(this.portHolders, n, txn.id);
    txn.ports.push(n);
  }

  /** Why a requested port cannot be had, or undefined when it can. */
  private portProblem(np: number, txn: Txn): string | undefined {
    if (!this.portBand.contains(np)) return `provided port is not in the valid range. The range of valid ports is ${this.nodePortRange}`;
    if (!this.freeFor(this.portHolders, np, txn.key, txn)) return portAllocated;
    return undefined;
  }

  private nextPort(txn: Txn): number | undefined {
    const np = this.portBand.pick((v) => !this.portHolders.has(v));
    if (np !== undefined) this.reservePort(np, txn);
    return np;
  }

  /** Policy, families and their consistency for a single-stack IPv4 cluster (upstream's initIPFamilyFields). */
  private initIPFamilyFields(svc: KubeObject, spec: Obj, oldSpec: Obj | undefined): void {
    if (typeOf(spec) === 'ExternalName') return;
    const selectorless = Object.keys(rec(spec.selector)).length === 0;
    const headlessSelectorless = spec.clusterIP === 'None' && selectorless;
    if (typeof spec.ipFamilyPolicy !== 'string' || spec.ipFamilyPolicy === '') {
      if (oldSpec && typeof oldSpec.ipFamilyPolicy === 'string' && oldSpec.ipFamilyPolicy) spec.ipFamilyPolicy = oldSpec.ipFamilyPolicy;
      else spec.ipFamilyPolicy = headlessSelectorless ? 'RequireDualStack' : 'SingleStack';
    }
    const policy = spec.ipFamilyPolicy as string;
    if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && clusterIPsOf(spec).length === 0) spec.clusterIPs = [spec.clusterIP];
    const ips = clusterIPsOf(spec);
    const families = arr(spec.ipFamilies).filter((f): f is string => typeof f === 'string');
    const errs: FieldError[] = [];
    if (policy === 'SingleStack') {
      if (ips.length === 2) errs.push({ type: 'FieldValueInvalid', field: 'spec.ipFamilyPolicy', value: policy, detail: "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified" });
      if (families.length === 2) errs.push({ type: 'FieldValueInvalid', field: 'spec.ipFamilyPolicy', value: policy, detail: "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified" });
    }
    for (let i = 0; i < ips.length; i++) {
      if (ips[i] === 'None') break;
      const fam = isIPv6(ips[i]) ? 'IPv6' : 'IPv4';
      if (i >= families.length) {
        if (fam === 'IPv6') {
          errs.push({ type: 'FieldValueInvalid', field: `spec.clusterIPs[${i}]`, omitValue: true, detail: `${goStringSlice(ips)}: IPv6 is not configured on this cluster` });
        } else {
          families.push(fam);
        }
      }
    }
    if (errs.length > 0) throw invalid(svc, errs);
    if (headlessSelectorless) {
      if (families.length === 0) families.push('IPv4');
      if (families.length < 2 && policy !== 'SingleStack') families.push(families[0] === 'IPv4' ? 'IPv6' : 'IPv4');
      spec.ipFamilies = families;
      return;
    }
    if (policy === 'RequireDualStack') {
      errs.push({ type: 'FieldValueInvalid', field: 'spec.ipFamilyPolicy', value: policy, detail: 'this cluster is not configured for dual-stack services' });
    }
    families.forEach((f, i) => {
      if (f !== 'IPv4') errs.push({ type: 'FieldValueInvalid', field: `spec.ipFamilies[${i}]`, value: f, detail: 'not configured on this cluster' });
    });
    if (errs.length > 0) throw invalid(svc, errs);
    if (families.length === 0) families.push('IPv4');
    spec.ipFamilies = families;
  }

  private allocClusterIPs(svc: KubeObject, spec: Obj, oldSpec: Obj | undefined, txn: Txn): void {
    if (typeOf(spec) === 'ExternalName' || headless(spec)) return;
    const ips = clusterIPsOf(spec);
    // An update keeps its address (clusterIPs are immutable); it gets one when it had none (from ExternalName).
    if (oldSpec && typeOf(oldSpec) !== 'ExternalName' && ips.length > 0) return;
    const requested = ips[0] ?? '';
    if (requested === '') {
      const n = this.ipBand.pick((v) => !this.ipHolders.has(v));
      if (n === undefined) throw errors.internal(`failed to allocate a serviceIP: ${rangeFull}`);
      this.reserveIP(n, txn);
      const ip = formatIPv4(n);
      spec.clusterIP = ip;
      spec.clusterIPs = [ip, ...ips.slice(1)];
      return;
    }
    const n = parseIPv4(requested);
    if (n === undefined) return; // not an IPv4 address: validation reports it
    const fail = (why: string) => invalid(svc, [{
      type: 'FieldValueInvalid', field: 'spec.clusterIPs', omitValue: true,
      detail: `${goStringSlice(ips)}: failed to allocate IP ${requested}: ${why}`,
    }]);
    if (n < this.network || n > this.broadcast) throw fail(mismatchedNetwork);
    if (!this.ipBand.contains(n)) {
      throw fail(`the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${this.serviceCIDR}`);
    }
    if (!this.freeFor(this.ipHolders, n, txn.key, txn)) throw fail(ipAllocated);
    this.reserveIP(n, txn);
    spec.clusterIP = requested;
  }

  private allocNodePorts(svc: KubeObject, spec: Obj, oldSpec: Obj | undefined, txn: Txn): void {
    const ports = portsOf(spec);
    const portErr = (i: number, np: number, why: string) =>
      invalid(svc, [{ type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, value: np, detail: why }]);
    if (needsNodePorts(spec)) {
      if (!oldSpec) {
        // Create: ports with the same number (TCP and UDP, say) share one node port.
        const byPort = new Map<number, number>();
        ports.forEach((p, i) => {
          const np = num(p.nodePort);
          if (np === 0 && !allocatesNodePorts(spec)) return;
          const port = num(p.port);
          const had = byPort.get(port);
          if (had === undefined) {
            const requested = num(ports.find((q) => num(q.port) === port && num(q.nodePort) !== 0)?.nodePort);
            if (requested !== 0) {
              const why = this.portProblem(requested, txn);
              if (why) throw portErr(i, requested, why);
              this.reservePort(requested, txn);
              p.nodePort = requested;
              byPort.set(port, requested);
            } else {
              const got = this.nextPort(txn);
              if (got === undefined) throw errors.internal(`failed to allocate a nodePort: ${rangeFull}`);
              p.nodePort = got;
              byPort.set(port, got);
            }
          } else if (np !== had) {
            if (np === 0) p.nodePort = had;
            else {
              const why = this.portProblem(np, txn);
              if (why) throw portErr(i, np, why);
              this.reservePort(np, txn);
            }
          }
        });
      } else {
        const oldPorts = portsOf(oldSpec).map((p) => num(p.nodePort)).filter((n) => n !== 0);
        const taken = new Set<number>();
        const seen = new Set<string>();
        ports.forEach((p, i) => {
          let np = num(p.nodePort);
          if (np === 0 && !allocatesNodePorts(spec)) return;
          if (np !== 0) {
            if (!oldPorts.includes(np) && !taken.has(np)) {
              const why = this.portProblem(np, txn);
              if (why) throw portErr(i, np, why);
              this.reservePort(np, txn);
              taken.add(np);
            }
          } else {
            const got = this.nextPort(txn);
            if (got === undefined) throw errors.internal(`failed to allocate a nodePort: ${rangeFull}`);
            p.nodePort = np = got;
          }
          const proto = str(p.protocol) || 'TCP';
          if (seen.has(`${proto}/${np}`)) throw errors.internal(`duplicate nodePort: {${proto} ${np}}`);
          seen.add(`${proto}/${np}`);
        });
      }
    }
    // The health check port of LoadBalancer services with externalTrafficPolicy Local.
    if (needsHealthCheck(spec) && !(oldSpec && needsHealthCheck(oldSpec))) {
      const hc = num(spec.healthCheckNodePort);
      if (hc !== 0) {
        const why = this.portProblem(hc, txn);
        if (why) throw errors.internal(`failed to allocate requested HealthCheck NodePort ${hc}: ${why}`);
        this.reservePort(hc, txn);
      } else {
        const got = this.nextPort(txn);
        if (got === undefined) throw errors.internal(`failed to allocate a HealthCheck NodePort 0: ${rangeFull}`);
        spec.healthCheckNodePort = got;
      }
    }
  }

  // ---- wiring ----------------------------------------------------------------

  /** Follow the Services of a watch cache: what is stored is held, what is deleted is released. */
  attach(cache: WatchCache, servicesPrefix: string): void {
    this.unsubscribe?.();
    this.unsubscribe = cache.subscribe({
      prefix: servicesPrefix,
      onEvent: (ev: CacheEvent) => (ev.type === 'DELETED' ? this.releaseForService(ev.obj) : this.observe(ev.obj)),
    });
    for (const c of cache.scan(servicesPrefix)) this.observe(c.obj);
  }

  /**
   * The allocator as an admission plugin of the generic store: creates and
   * updates of Services allocate, failed writes give back, deletes release.
   */
  admission(): AdmissionPlugin {
    const isService = (def: ResourceDef) => def.group === '' && def.plural === 'services';
    const keyOf = (obj: KubeObject) => nsKey(obj.metadata.namespace, obj.metadata.name ?? '');
    return {
      name: 'ServiceAllocation',
      admit: (_op, def, namespace, obj, old) => {
        if (!isService(def)) return;
        if (obj.metadata.namespace === undefined) obj.metadata.namespace = namespace;
        const a = this.allocateForService(obj, old);
        const list = (this.admitted.get(keyOf(obj)) ?? []).filter((x) => !x.settled);
        list.push(a);
        this.admitted.set(keyOf(obj), list);
      },
      aborted: (_op, def, obj) => {
        if (!isService(def)) return;
        const list = this.admitted.get(keyOf(obj));
        list?.pop()?.revert();
        if (list && list.length === 0) this.admitted.delete(keyOf(obj));
      },
      deleted: (def, obj) => {
        if (!isService(def)) return;
        this.admitted.delete(keyOf(obj));
        this.releaseForService(obj);
      },
    };
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

/** An allocator holding what the cluster's stored Services hold, kept current from the watch cache. */
export function serviceAllocator(ctx: ControllerContext, opts: ServiceAllocatorOptions = {}): ServiceAllocator {
  const a = new ServiceAllocator(opts);
  a.attach(ctx.vc.cache, resourcePrefix(ctx.def('', 'v1', 'services')));
  return a;
}
