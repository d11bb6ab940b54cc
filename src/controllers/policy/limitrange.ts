// LimitRanger admission: containers of new pods get the defaults of the
// namespace's LimitRanges (`default` → limits, `defaultRequest` → requests,
// noted in the kubernetes.io/limit-ranger annotation), and pods and
// persistent volume claims that break a range's min, max or
// maxLimitRequestRatio are refused with upstream's 403 texts.

import { errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { objAt, objsAt } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { milliValue, quantityString } from '../../api/validation/quantity.ts';
import type { Quantity } from '../../api/validation/quantity.ts';
import { listPrefix } from '../../registry/generic/keys.ts';
import { computeQOSClass } from '../../registry/strategies/core-pod.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { ControllerContext } from '../context.ts';
import { defaultRequestsFromLimits, podLimits, podRequests, readList, wholeValue } from './resources.ts';
import type { ResourceList } from './resources.ts';

export const limitRangerAnnotation = 'kubernetes.io/limit-ranger';

/** Quantities up to this many units still compare in milli units (resource.MaxMilliValue). */
const maxMilliValue = 9223372036854775807n / 1000n;

interface LimitItem {
  type: string;
  max: ResourceList;
  min: ResourceList;
  default: ResourceList;
  defaultRequest: ResourceList;
  maxLimitRequestRatio: ResourceList;
}

function readItems(lr: KubeObject): LimitItem[] {
  return objsAt(objAt(lr.spec)?.limits).map((l) => ({
    type: typeof l.type === 'string' ? l.type : '',
    max: readList(l.max), min: readList(l.min), default: readList(l.default),
    defaultRequest: readList(l.defaultRequest), maxLimitRequestRatio: readList(l.maxLimitRequestRatio),
  }));
}

function sortedEntries(list: ResourceList): [string, Quantity][] {
  return [...list.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Request, limit and the enforced value at one precision: milli units unless that could overflow. */
function comparable(req: Quantity | undefined, lim: Quantity | undefined, enforced: Quantity): [bigint, bigint, bigint] {
  const whole = (q: Quantity | undefined): bigint => (q ? wholeValue(q) : 0n);
  const r = whole(req), l = whole(lim), e = whole(enforced);
  if (r <= maxMilliValue && l <= maxMilliValue && e <= maxMilliValue) {
    return [req ? milliValue(req) : 0n, lim ? milliValue(lim) : 0n, milliValue(enforced)];
  }
  return [r, l, e];
}

const s = quantityString;

function minConstraint(type: string, name: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request.get(name), lim = limit.get(name);
  const [r, l, e] = comparable(req, lim, enforced);
  if (!req) return `minimum ${name} usage per ${type} is ${s(enforced)}.  No request is specified`;
  if (r < e) return `minimum ${name} usage per ${type} is ${s(enforced)}, but request is ${s(req)}`;
  if (lim && l < e) return `minimum ${name} usage per ${type} is ${s(enforced)}, but limit is ${s(lim)}`;
  return undefined;
}

function maxConstraint(type: string, name: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request.get(name), lim = limit.get(name);
  const [r, l, e] = comparable(req, lim, enforced);
  if (!lim) return `maximum ${name} usage per ${type} is ${s(enforced)}.  No limit is specified`;
  if (l > e) return `maximum ${name} usage per ${type} is ${s(enforced)}, but limit is ${s(lim)}`;
  if (req && r > e) return `maximum ${name} usage per ${type} is ${s(enforced)}, but request is ${s(req)}`;
  return undefined;
}

/** The max of a claim's storage applies to what it requests (claims have no limits). */
function maxRequestConstraint(type: string, name: string, enforced: Quantity, request: ResourceList): string | undefined {
  const req = request.get(name);
  const [r, , e] = comparable(req, undefined, enforced);
  if (!req) return `maximum ${name} usage per ${type} is ${s(enforced)}.  No request is specified`;
  if (r > e) return `maximum ${name} usage per ${type} is ${s(enforced)}, but request is ${s(req)}`;
  return undefined;
}

/** Go's %f: six decimals. */
function goFloat(x: number): string {
  return x.toFixed(6);
}

function ratioConstraint(type: string, name: string, enforced: Quantity, request: ResourceList, limit: ResourceList): string | undefined {
  const req = request.get(name), lim = limit.get(name);
  const [r, l] = comparable(req, lim, enforced);
  if (!req || r === 0n) return `${name} max limit to request ratio per ${type} is ${s(enforced)}, but no request is specified or request is 0`;
  if (!lim || l === 0n) return `${name} max limit to request ratio per ${type} is ${s(enforced)}, but no limit is specified or limit is 0`;
  const observed = Number(l) / Number(r);
  let compared = observed;
  let max = Number(wholeValue(enforced));
  if (wholeValue(enforced) <= maxMilliValue) {
    compared = observed * 1000;
    max = Number(milliValue(enforced));
  }
  if (compared > max) return `${name} max limit to request ratio per ${type} is ${s(enforced)}, but provided ratio is ${goFloat(observed)}`;
  return undefined;
}

/** Fill container defaults from one LimitRange; returns the annotation text parts. */
function mergeDefaults(spec: Obj, items: readonly LimitItem[]): string[] {
  const defLimits = new Map<string, Quantity>(), defRequests = new Map<string, Quantity>();
  for (const item of items) {
    if (item.type !== 'Container') continue;
    for (const [k, q] of item.defaultRequest) defRequests.set(k, q);
    for (const [k, q] of item.default) defLimits.set(k, q);
  }
  const notes: string[] = [];
  const merge = (c: Obj, what: string): void => {
    let res = objAt(c.resources);
    if (!res) { res = {}; c.resources = res; }
    let limits = objAt(res.limits);
    if (!limits) { limits = {}; res.limits = limits; }
    let requests = objAt(res.requests);
    if (!requests) { requests = {}; res.requests = requests; }
    const setLimits: string[] = [], setRequests: string[] = [];
    for (const [k, q] of defLimits) {
      if (Object.hasOwn(limits, k)) continue;
      limits[k] = s(q);
      setLimits.push(k);
    }
    for (const [k, q] of defRequests) {
      if (Object.hasOwn(requests, k)) continue;
      requests[k] = s(q);
      setRequests.push(k);
    }
    const name = typeof c.name === 'string' ? c.name : '';
    if (setRequests.length > 0) notes.push(`${setRequests.sort().join(', ')} request for ${what} ${name}`);
    if (setLimits.length > 0) notes.push(`${setLimits.sort().join(', ')} limit for ${what} ${name}`);
    // Empty lists are not kept (Go omits empty maps).
    if (Object.keys(limits).length === 0) delete res.limits;
    if (Object.keys(requests).length === 0) delete res.requests;
  };
  for (const c of objsAt(spec.containers)) merge(c, 'container');
  for (const c of objsAt(spec.initContainers)) merge(c, 'init container');
  return notes;
}

function containerLists(c: Obj): { requests: ResourceList; limits: ResourceList } {
  const res = objAt(c.resources);
  return { requests: readList(res?.requests), limits: readList(res?.limits) };
}

function validatePod(spec: Obj, items: readonly LimitItem[]): string[] {
  const errs: string[] = [];
  const check = (type: string, item: LimitItem, requests: ResourceList, limits: ResourceList): void => {
    for (const [k, q] of sortedEntries(item.min)) { const e = minConstraint(type, k, q, requests, limits); if (e) errs.push(e); }
    for (const [k, q] of sortedEntries(item.max)) { const e = maxConstraint(type, k, q, requests, limits); if (e) errs.push(e); }
    for (const [k, q] of sortedEntries(item.maxLimitRequestRatio)) { const e = ratioConstraint(type, k, q, requests, limits); if (e) errs.push(e); }
  };
  for (const item of items) {
    if (item.type === 'Container') {
      for (const c of [...objsAt(spec.containers), ...objsAt(spec.initContainers)]) {
        const { requests, limits } = containerLists(c);
        check(item.type, item, requests, limits);
      }
    } else if (item.type === 'Pod') {
      check(item.type, item, podRequests({ ...spec, overhead: undefined, resources: undefined }),
        podLimits({ ...spec, overhead: undefined, resources: undefined }));
    }
  }
  return errs;
}

function validateClaim(pvc: KubeObject, items: readonly LimitItem[]): string[] {
  const errs: string[] = [];
  const requests = readList(objAt(objAt(pvc.spec)?.resources)?.requests);
  for (const item of items) {
    if (item.type !== 'PersistentVolumeClaim') continue;
    for (const [k, q] of sortedEntries(item.min)) { const e = minConstraint(item.type, k, q, requests, new Map()); if (e) errs.push(e); }
    for (const [k, q] of sortedEntries(item.max)) { const e = maxRequestConstraint(item.type, k, q, requests); if (e) errs.push(e); }
  }
  return errs;
}

/** Several errors print as `[a, b]`, repeats once, as an aggregate error does. */
function aggregate(msgs: readonly string[]): string {
  const unique = [...new Set(msgs)];
  return unique.length === 1 ? unique[0] as string : `[${unique.join(', ')}]`;
}

/**
 * LimitRanger admission for a pod or persistent volume claim about to be
 * created (or a claim about to be updated: pass `old`). Mutates `obj`:
 * container requests and limits get the namespace's defaults and the
 * kubernetes.io/limit-ranger annotation says which; then throws upstream's
 * 403 when a range's min, max or ratio is not met. Other kinds pass untouched.
 *
 * Run it before admitQuota, so quota sees the defaulted resources.
 */
export async function admitLimitRange(ctx: ControllerContext, def: ResourceDef, namespace: string | undefined, obj: KubeObject,
  old?: KubeObject): Promise<void> {
  if (def.group !== '' || namespace === undefined || namespace === '') return;
  const isPod = def.plural === 'pods', isClaim = def.plural === 'persistentvolumeclaims';
  if (!isPod && !isClaim) return;
  // Containers of a pod cannot change, so pod updates are not checked; nor is anything on its way out.
  if (isPod && old) return;
  if (old?.metadata.deletionTimestamp) return;
  const vc = ctx.vc;
  const lrDef = vc.registry.find('', 'v1', 'limitranges');
  if (!lrDef) return;
  // Writes through the store are in the cache before they return.
  const ranges = [...vc.cache.scan(listPrefix(lrDef, namespace))].map((c) => c.obj);
  if (ranges.length === 0) return;
  const name = obj.metadata.name || obj.metadata.generateName || '';
  if (isPod) {
    let spec = objAt(obj.spec);
    if (!spec) { spec = {}; obj.spec = spec; }
    // What the server's defaulting does before admission: requests default to limits.
    defaultRequestsFromLimits(spec);
    let changed = false;
    for (const lr of ranges) {
      const notes = mergeDefaults(spec, readItems(lr));
      if (notes.length > 0) {
        changed = true;
        obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [limitRangerAnnotation]: `LimitRanger plugin set: ${notes.join('; ')}` };
      }
    }
    // A pod the store already gave a status (QoS class) is classed again with its new resources.
    const status = objAt(obj.status);
    if (changed && status && typeof status.qosClass === 'string') status.qosClass = computeQOSClass(spec);
  }
  for (const lr of ranges) {
    const items = readItems(lr);
    const errs = isPod ? validatePod(objAt(obj.spec) ?? {}, items) : validateClaim(obj, items);
    if (errs.length > 0) throw errors.forbidden({ group: '', resource: def.plural }, name, aggregate(errs));
  }
}
