// Resource lists (`{cpu: "500m", memory: "1Gi"}`) as exact quantities, with
// the arithmetic quota and limit ranges need, and what a pod asks for in sum:
// the requests and limits of its containers, sidecars, init containers,
// pod-level resources and overhead, as the scheduler and quota count them.

import type { KubeObject } from '../../api/types.ts';
import { isObj, objAt, objsAt } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { cmpQuantity, parseQuantity, quantityString } from '../../api/validation/quantity.ts';
import type { Quantity } from '../../api/validation/quantity.ts';

/** Resource name → quantity, in insertion order. */
export type ResourceList = Map<string, Quantity>;

const zero: Quantity = { mantissa: 0n, exp: 0, format: 'DecimalSI' };

export function zeroQuantity(): Quantity {
  return { ...zero };
}

export function intQuantity(n: number | bigint): Quantity {
  return { mantissa: BigInt(n), exp: 0, format: 'DecimalSI' };
}

/** A JSON resource list as quantities; entries that do not parse are left out. */
export function readList(v: unknown): ResourceList {
  const out: ResourceList = new Map();
  if (!isObj(v)) return out;
  for (const [k, raw] of Object.entries(v)) {
    if (typeof raw !== 'string' && typeof raw !== 'number') continue;
    const q = parseQuantity(raw);
    if (typeof q !== 'string') out.set(k, q);
  }
  return out;
}

/** The JSON form of a resource list: canonical quantity strings, names sorted as Go writes maps. */
export function writeList(list: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...list.keys()].sort()) out[k] = quantityString(list.get(k) as Quantity);
  return out;
}

function scaleTo(q: Quantity, exp: number): bigint {
  return q.mantissa * 10n ** BigInt(q.exp - exp);
}

/** a + b; the sum keeps a's format unless a is zero (Quantity.Add). */
export function addQ(a: Quantity, b: Quantity): Quantity {
  const exp = Math.min(a.exp, b.exp);
  return { mantissa: scaleTo(a, exp) + scaleTo(b, exp), exp, format: a.mantissa === 0n ? b.format : a.format };
}

export function subQ(a: Quantity, b: Quantity): Quantity {
  return addQ(a, { ...b, mantissa: -b.mantissa });
}

export function isNegative(q: Quantity): boolean {
  return q.mantissa < 0n;
}

export function isZero(q: Quantity): boolean {
  return q.mantissa === 0n;
}

/** Every key of both; values of keys in both are summed (quota.Add). */
export function addLists(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, q] of a) {
    const o = b.get(k);
    out.set(k, o ? addQ(q, o) : q);
  }
  for (const [k, q] of b) if (!out.has(k)) out.set(k, q);
  return out;
}

/** Add `b` into `a` in place. */
export function addInto(a: ResourceList, b: ResourceList): void {
  for (const [k, q] of b) {
    const cur = a.get(k);
    a.set(k, cur ? addQ(cur, q) : q);
  }
}

/** For each key of `b`, keep the larger value in `a` (in place). */
export function maxInto(a: ResourceList, b: ResourceList): void {
  for (const [k, q] of b) {
    const cur = a.get(k);
    if (!cur || cmpQuantity(q, cur) > 0) a.set(k, q);
  }
}

/** a - b for the keys of a, never below zero; keys only in b count as zero (quota.SubtractWithNonNegativeResult). */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, q] of a) {
    const o = b.get(k);
    let v = o ? subQ(q, o) : q;
    if (isNegative(v)) v = zeroQuantity();
    out.set(k, v);
  }
  for (const k of b.keys()) if (!out.has(k)) out.set(k, zeroQuantity());
  return out;
}

/** Only the entries whose names are in `names` (quota.Mask). */
export function mask(list: ResourceList, names: Iterable<string>): ResourceList {
  const keep = new Set(names);
  const out: ResourceList = new Map();
  for (const [k, q] of list) if (keep.has(k)) out.set(k, q);
  return out;
}

export function removeZeros(list: ResourceList): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, q] of list) if (!isZero(q)) out.set(k, q);
  return out;
}

/** Same names and equal values (quota.Equals). */
export function listsEqual(a: ResourceList, b: ResourceList): boolean {
  if (a.size !== b.size) return false;
  for (const [k, q] of a) {
    const o = b.get(k);
    if (!o || cmpQuantity(q, o) !== 0) return false;
  }
  return true;
}

/** Whether every value of `a` is at most the same name's value in `b`, and the names that are not (quota.LessThanOrEqual). */
export function lessThanOrEqual(a: ResourceList, b: ResourceList): { ok: boolean; exceeded: string[] } {
  const exceeded: string[] = [];
  for (const [k, q] of a) {
    const limit = b.get(k);
    if (limit && cmpQuantity(q, limit) > 0) exceeded.push(k);
  }
  return { ok: exceeded.length === 0, exceeded };
}

/** `a=1,b=2Gi` with names sorted, as quota errors print lists. */
export function prettyPrint(list: ResourceList): string {
  return [...list.keys()].sort().map((k) => `${k}=${quantityString(list.get(k) as Quantity)}`).join(',');
}

/** The value rounded up to a whole number (Quantity.Value). */
export function wholeValue(q: Quantity): bigint {
  if (q.exp >= 0) return q.mantissa * 10n ** BigInt(q.exp);
  const div = 10n ** BigInt(-q.exp);
  const t = q.mantissa / div;
  return q.mantissa % div === 0n ? t : (q.mantissa < 0n ? t - 1n : t + 1n);
}

/** Round up to a whole number, keeping the format. */
export function roundUpWhole(q: Quantity): Quantity {
  return { mantissa: wholeValue(q), exp: 0, format: q.format };
}

// ---- pods ---------------------------------------------------------------

interface ContainerResources { requests: ResourceList; limits: ResourceList; sidecar: boolean }

function containerResources(c: Obj): ContainerResources {
  const res = objAt(c.resources);
  return { requests: readList(res?.requests), limits: readList(res?.limits), sidecar: c.restartPolicy === 'Always' };
}

export function regularContainers(spec: Obj): ContainerResources[] {
  return objsAt(spec.containers).map(containerResources);
}

export function initContainers(spec: Obj): ContainerResources[] {
  return objsAt(spec.initContainers).map(containerResources);
}

/** Resources a pod-level `resources` stanza may set. */
function podLevelSupported(name: string): boolean {
  return name === 'cpu' || name === 'memory' || name.startsWith('hugepages-');
}

/**
 * The sum of what the pod's containers declare for `which`: regular
 * containers and restartable init containers (sidecars) run together; each
 * plain init container runs alone beside the sidecars started before it.
 */
function aggregate(spec: Obj, which: 'requests' | 'limits'): ResourceList {
  const total: ResourceList = new Map();
  for (const c of regularContainers(spec)) addInto(total, c[which]);
  const sidecars: ResourceList = new Map();
  const initMax: ResourceList = new Map();
  for (const c of initContainers(spec)) {
    let effective: ResourceList;
    if (c.sidecar) {
      addInto(total, c[which]);
      addInto(sidecars, c[which]);
      effective = sidecars;
    } else {
      effective = new Map(c[which]);
      addInto(effective, sidecars);
    }
    maxInto(initMax, effective);
  }
  maxInto(total, initMax);
  return total;
}

/** What the pod requests in all (resourcehelper.PodRequests). */
export function podRequests(spec: Obj): ResourceList {
  const reqs = aggregate(spec, 'requests');
  const podRes = objAt(spec.resources);
  for (const [k, q] of readList(podRes?.requests)) if (podLevelSupported(k)) reqs.set(k, q);
  addInto(reqs, readList(spec.overhead));
  return reqs;
}

/** The pod's limits in all (resourcehelper.PodLimits): overhead only adds to limits that are set. */
export function podLimits(spec: Obj): ResourceList {
  const limits = aggregate(spec, 'limits');
  const podRes = objAt(spec.resources);
  for (const [k, q] of readList(podRes?.limits)) if (podLevelSupported(k)) limits.set(k, q);
  for (const [k, q] of readList(spec.overhead)) {
    const cur = limits.get(k);
    if (cur) limits.set(k, addQ(cur, q));
  }
  return limits;
}

/**
 * What the server's pod defaulting does to requests before admission runs:
 * a container that sets a limit but no request for a resource requests its
 * limit. Mutates `spec`.
 */
export function defaultRequestsFromLimits(spec: Obj): void {
  for (const k of ['containers', 'initContainers']) {
    for (const c of objsAt(spec[k])) {
      const res = objAt(c.resources);
      const limits = objAt(res?.limits);
      if (!res || !limits) continue;
      let requests = objAt(res.requests);
      for (const [name, q] of Object.entries(limits)) {
        if (requests && Object.hasOwn(requests, name)) continue;
        if (!requests) { requests = {}; res.requests = requests; }
        requests[name] = q;
      }
    }
  }
}

/** A Ready condition with status True (podutil.IsPodReady). */
export function isPodReady(pod: KubeObject): boolean {
  const status = objAt(pod.status);
  return objsAt(status?.conditions).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function podPhase(pod: KubeObject): string {
  const p = objAt(pod.status)?.phase;
  return typeof p === 'string' ? p : '';
}
