// ResourceQuota: the controller that keeps status.hard and status.used of
// every quota current, and the admission check that refuses what would go
// over a quota and charges what it lets through.
//
// Admission and the controller share one lock per namespace, so concurrent
// creates are checked one after another against the usage the previous one
// left. Between admission and the object reaching the watch cache, the
// admitted object is held as a reservation that the controller counts as if
// it were stored; a create that fails after admission (validation, name
// taken) lets its reservation lapse after a few seconds, and the controller
// then counts again without it.

import { ApiError, errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { objAt } from '../../api/validation/json.ts';
import { listPrefix, objectKey, resourcePrefix } from '../../registry/generic/keys.ts';
import { cloneObject, jsonEqual } from '../../registry/generic/metadata.ts';
import type { CacheEvent } from '../../registry/generic/watch-cache.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { VirtualCluster } from '../../server/cluster.ts';
import type { ControllerContext } from '../context.ts';
import { Controller } from '../runtime.ts';
import { KeyedLock } from './lock.ts';
import {
  evaluatorFor, podChargeEnds, quotable, quotaIgnored, quotaMatches, quotaScopes, sumUsage,
} from './quota-evaluators.ts';
import type { Evaluator } from './quota-evaluators.ts';
import {
  addLists, isNegative, lessThanOrEqual, listsEqual, mask, prettyPrint, readList, removeZeros,
  subtractNonNegative, writeList, defaultRequestsFromLimits,
} from './resources.ts';
import type { ResourceList } from './resources.ts';

export const quotaSettings = {
  /** How long an admitted object that has not shown up in storage keeps counting. */
  reservationTtlMs: 10_000,
};

const controllerManager = 'kube-controller-manager';
const apiServer = 'kube-apiserver';

interface Reservation {
  /** listPrefix of the object's resource in its namespace. */
  prefix: string;
  namespace: string;
  /** The object's key when its name is known. */
  key: string | undefined;
  /** For updates: the stored version the admitted object replaces. */
  baseRV: string | undefined;
  generateName: string | undefined;
  /** The object as quota counted it. */
  obj: KubeObject;
  /** The object admission was handed (aborted() names it). */
  source: KubeObject;
  expires: number;
}

/** Per-cluster state shared by admission and the controller. */
class QuotaState {
  readonly vc: VirtualCluster;
  readonly locks = new KeyedLock();
  private reservations: Reservation[] = [];

  constructor(vc: VirtualCluster) {
    this.vc = vc;
    vc.cache.subscribe({ prefix: '/registry/', onEvent: (ev) => this.observe(ev) });
  }

  reserve(r: Reservation): void {
    this.reservations.push(r);
    const t = setTimeout(() => { if (this.drop(r)) this.recount(r.namespace); }, Math.max(0, r.expires - Date.now()) + 5);
    t.unref();
  }

  /** Forget a reservation; whether it was still held. */
  drop(r: Reservation): boolean {
    const i = this.reservations.indexOf(r);
    if (i < 0) return false;
    this.reservations.splice(i, 1);
    return true;
  }

  /** The reservation made for an admitted object (the same object, or its key). */
  find(source: KubeObject, key: string | undefined): Reservation | undefined {
    return this.reservations.find((r) => r.source === source) ?? (key ? this.reservations.find((r) => r.key === key) : undefined);
  }

  /** Live reservations under a list prefix. */
  under(prefix: string): Reservation[] {
    const now = Date.now();
    return this.reservations.filter((r) => r.prefix === prefix && r.expires > now);
  }

  /** Count every quota of a namespace again (after a charge turned out not to be used). */
  recount(namespace: string): void {
    const def = quotaDefOf(this.vc);
    if (!def) return;
    for (const q of quotasIn(this.vc, def, namespace)) {
      const name = q.metadata.name as string;
      this.locks.run(namespace, () => syncLocked(this, namespace, name, new Date())).catch((e: unknown) => {
        console.error(`kubevisor: resourcequota ${namespace}/${name}: ${(e as Error).message}`);
      });
    }
  }

  /** An object reached the cache: the reservation made for it is done. */
  private observe(ev: CacheEvent): void {
    if (this.reservations.length === 0) return;
    let i = this.reservations.findIndex((r) => r.key === ev.key);
    if (i < 0 && ev.type === 'ADDED') {
      const gn = ev.obj.metadata.generateName;
      if (gn) i = this.reservations.findIndex((r) => r.key === undefined && r.generateName === gn && ev.key.startsWith(r.prefix));
    }
    if (i >= 0) this.reservations.splice(i, 1);
  }
}

const states = new WeakMap<VirtualCluster, QuotaState>();

function stateOf(vc: VirtualCluster): QuotaState {
  let s = states.get(vc);
  if (!s) states.set(vc, (s = new QuotaState(vc)));
  return s;
}

function quotaDefOf(vc: VirtualCluster): ResourceDef | undefined {
  return vc.registry.find('', 'v1', 'resourcequotas');
}

function quotasIn(vc: VirtualCluster, def: ResourceDef, namespace: string): KubeObject[] {
  return [...vc.cache.scan(listPrefix(def, namespace))].map((c) => c.obj);
}

/** The resources quota can count, one declaration per group/resource, with their evaluators. */
function countedResources(vc: VirtualCluster): Array<{ def: ResourceDef; ev: Evaluator }> {
  const seen = new Set<string>();
  const out: Array<{ def: ResourceDef; ev: Evaluator }> = [];
  for (const def of vc.registry.resources) {
    if (!quotable(def)) continue;
    const k = `${def.group}/${def.plural}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ def, ev: evaluatorFor(def.group, def.plural) });
  }
  return out;
}

/** The objects of `def` in `namespace` as quota counts them: stored ones, and reserved ones not stored yet. */
function itemsFor(state: QuotaState, def: ResourceDef, namespace: string): KubeObject[] {
  const prefix = listPrefix(def, namespace);
  const byKey = new Map<string, KubeObject>();
  for (const c of state.vc.cache.scan(prefix)) byKey.set(c.key, c.obj);
  const extra: KubeObject[] = [];
  for (const r of state.under(prefix)) {
    if (r.key === undefined) { extra.push(r.obj); continue; }
    const cur = byKey.get(r.key);
    if (r.baseRV === undefined ? !cur : cur?.metadata.resourceVersion === r.baseRV) byKey.set(r.key, r.obj);
  }
  return [...byKey.values(), ...extra];
}

interface ComputedStatus {
  hard: ResourceList;
  used: ResourceList;
  /** When the usage changes by the clock alone (a terminating pod's grace period ends). */
  recheckAt: number | undefined;
}

/** Recount a quota's usage from the objects in its namespace. */
function computeStatus(state: QuotaState, quota: KubeObject, now: Date): ComputedStatus {
  const ns = quota.metadata.namespace as string;
  const hard = readList(objAt(quota.spec)?.hard);
  const hardNames = [...hard.keys()];
  let used = readList(objAt(quota.status)?.used);
  const scopes = quotaScopes(quota);
  let recheckAt: number | undefined;
  for (const { def, ev } of countedResources(state.vc)) {
    const names = ev.matchingResources(hardNames);
    if (names.length === 0) continue;
    const items = itemsFor(state, def, ns);
    const usage = mask(sumUsage(ev, items, scopes, names, now), names);
    used = new Map([...used, ...usage]);
    if (ev.resource === 'pods' && ev.group === '') {
      for (const p of items) {
        const end = podChargeEnds(p);
        if (end !== undefined && end >= now.getTime() && (recheckAt === undefined || end < recheckAt)) recheckAt = end;
      }
    }
  }
  return { hard, used: mask(used, hardNames), recheckAt };
}

function statusOf(quota: KubeObject): { hard: ResourceList | undefined; used: ResourceList | undefined } {
  const st = objAt(quota.status);
  return { hard: st?.hard === undefined ? undefined : readList(st.hard), used: st?.used === undefined ? undefined : readList(st.used) };
}

/** A quota whose status does not yet describe its spec (as far as `ev` counts, when given). */
function statusStale(quota: KubeObject, ev?: Evaluator): boolean {
  const { hard, used } = statusOf(quota);
  const spec = readList(objAt(quota.spec)?.hard);
  if (spec.size === 0) return false;
  if (!hard || !used || !listsEqual(spec, hard)) return true;
  const names = ev ? ev.matchingResources([...spec.keys()]) : [...spec.keys()];
  return names.some((k) => !used.has(k));
}

/** Write a quota's status when it changed; returns the stored quota. Call with the namespace lock held. */
async function syncLocked(state: QuotaState, namespace: string, name: string, now: Date): Promise<{ obj: KubeObject | undefined; recheckAt: number | undefined }> {
  const vc = state.vc;
  const def = quotaDefOf(vc);
  if (!def) return { obj: undefined, recheckAt: undefined };
  for (let attempt = 0; ; attempt++) {
    await vc.cache.sync();
    const quota = vc.store.peek(def, namespace, name);
    if (!quota) return { obj: undefined, recheckAt: undefined };
    const computed = computeStatus(state, quota, now);
    const old = statusOf(quota);
    const dirty = !old.hard || !old.used || !listsEqual(computed.hard, old.hard) || !listsEqual(computed.used, old.used);
    if (!dirty) return { obj: quota, recheckAt: computed.recheckAt };
    const status: Record<string, unknown> = {};
    if (computed.hard.size > 0) status.hard = writeList(computed.hard);
    if (computed.used.size > 0) status.used = writeList(computed.used);
    try {
      const r = await vc.store.update(def, namespace, name, { ...cloneObject(quota), status },
        { subresource: 'status', fieldManager: controllerManager });
      return { obj: r.obj, recheckAt: computed.recheckAt };
    } catch (e) {
      if (e instanceof ApiError && (e.code === 409 && attempt < 5)) continue;
      if (e instanceof ApiError && e.code === 404) return { obj: undefined, recheckAt: undefined };
      throw e;
    }
  }
}

/** Parse `/registry/<group>/<resource>/<namespace>/<name>`. */
function parseKey(key: string): { group: string; resource: string; namespace: string } | undefined {
  const parts = key.split('/');
  if (parts.length !== 6) return undefined;
  return { group: parts[2] === 'core' ? '' : (parts[2] as string), resource: parts[3] as string, namespace: parts[4] as string };
}

/**
 * Keep status.hard and status.used of every ResourceQuota current: on quota
 * changes, and whenever an object a quota counts is added, changes usage, or
 * goes away. Returns a function that stops the controller.
 */
export function startResourceQuotaController(ctx: ControllerContext): () => void {
  const vc = ctx.vc;
  const def = quotaDefOf(vc);
  if (!def) return () => {};
  const state = stateOf(vc);
  const quotaPrefix = resourcePrefix(def);
  let stopped = false;
  const c = new Controller('resourcequota', async (key) => {
    const [ns, name] = key.split('/') as [string, string];
    const now = ctx.now();
    try {
      const r = await state.locks.run(ns, () => syncLocked(state, ns, name, now));
      if (r.recheckAt !== undefined) return { requeueAfterMs: Math.max(0, r.recheckAt - now.getTime()) + 1000 };
    } catch (e) {
      if (!stopped) throw e;
    }
  });
  const unsubQuotas = vc.cache.subscribe({
    prefix: quotaPrefix,
    onEvent(ev) {
      const q = ev.obj;
      const key = `${q.metadata.namespace}/${q.metadata.name}`;
      if (ev.type === 'ADDED') c.enqueue(key);
      else if (ev.type === 'MODIFIED' && (!jsonEqual(ev.prev?.spec, q.spec) || statusStale(q))) c.enqueue(key);
      // A quota counts quotas too.
      if (ev.type !== 'MODIFIED') objectChanged(ev);
    },
  });
  const objectChanged = (ev: CacheEvent): void => {
    const where = parseKey(ev.key);
    if (!where) return;
    const quotas = quotasIn(vc, def, where.namespace);
    if (quotas.length === 0) return;
    const rdef = vc.registry.resources.find((d) => {
      const s = d.storage ?? { group: d.group, resource: d.plural };
      return s.group === where.group && s.resource === where.resource;
    });
    if (!rdef || quotaIgnored(rdef)) return;
    const ev2 = evaluatorFor(where.group, where.resource);
    const now = ctx.now();
    for (const q of quotas) {
      const names = ev2.matchingResources([...readList(objAt(q.spec)?.hard).keys()]);
      if (names.length === 0) continue;
      if (ev.type === 'MODIFIED' && ev.prev) {
        const prev = ev.prev;
        const same = listsEqual(mask(ev2.usage(prev, now), names), mask(ev2.usage(ev.obj, now), names)) &&
          quotaScopes(q).every((s) => ev2.matchesScope(s, prev) === ev2.matchesScope(s, ev.obj)) &&
          !(ev.obj.metadata.deletionTimestamp && !prev.metadata.deletionTimestamp);
        if (same) continue;
      }
      c.enqueue(`${where.namespace}/${q.metadata.name}`);
    }
  };
  const unsubObjects = vc.cache.subscribe({
    prefix: '/registry/',
    onEvent(ev) { if (!ev.key.startsWith(quotaPrefix)) objectChanged(ev); },
  });
  for (const cached of vc.cache.scan(quotaPrefix)) c.enqueue(`${cached.obj.metadata.namespace}/${cached.obj.metadata.name}`);
  return () => { stopped = true; unsubQuotas(); unsubObjects(); c.stop(); };
}

// ---- admission ----------------------------------------------------------

export interface AdmitQuotaOptions {
  /** A dry run is checked but charges nothing. */
  dryRun?: boolean;
}

function forbidden(def: ResourceDef, obj: KubeObject, message: string): ApiError {
  return errors.forbidden({ group: def.group, resource: def.plural }, obj.metadata.name || obj.metadata.generateName || '', message);
}

function hasUsageStats(quota: KubeObject, resources: readonly string[]): boolean {
  const { hard, used } = statusOf(quota);
  for (const name of hard?.keys() ?? []) {
    if (!resources.includes(name)) continue;
    if (!used?.has(name)) return false;
  }
  return true;
}

interface Charge { quota: KubeObject; used: ResourceList }

/**
 * The quota check of one request against `quotas` (upstream's CheckRequest):
 * throws the 403 a real server answers, or returns the new usage of each
 * quota the request is charged to.
 */
function checkRequest(def: ResourceDef, ev: Evaluator, quotas: readonly KubeObject[], obj: KubeObject,
  old: KubeObject | undefined, now: Date): Charge[] {
  const interesting: KubeObject[] = [];
  for (const quota of quotas) {
    if (!quotaMatches(ev, quota, obj)) continue;
    const hardNames = [...readList(objAt(quota.status)?.hard).keys()];
    const restricted = ev.matchingResources(hardNames);
    const problem = ev.constraints(restricted, obj);
    if (problem) throw forbidden(def, obj, `failed quota: ${quota.metadata.name}: ${problem}`);
    if (!hasUsageStats(quota, restricted)) {
      throw forbidden(def, obj, `status unknown for quota: ${quota.metadata.name}, resources: ${[...restricted].sort().join(',')}`);
    }
    interesting.push(quota);
  }
  if (interesting.length === 0) return [];
  const inputUsage = ev.usage(obj, now);
  const negative = [...inputUsage].filter(([, q]) => isNegative(q)).map(([k]) => k).sort();
  if (negative.length > 0) throw forbidden(def, obj, `quota usage is negative for resource(s): ${negative.join(',')}`);
  const deltas = new Map<KubeObject, ResourceList>(interesting.map((q) => [q, inputUsage]));
  if (old) {
    const delta = subtractNonNegative(inputUsage, ev.usage(old, now));
    for (const q of interesting) if (quotaMatches(ev, q, old)) deltas.set(q, delta);
  }
  const out: Charge[] = [];
  for (const quota of interesting) {
    const delta = removeZeros(deltas.get(quota) as ResourceList);
    if (delta.size === 0) continue;
    const { hard = new Map(), used = new Map() } = statusOf(quota);
    const requested = mask(delta, hard.keys());
    const newUsage = addLists(used, requested);
    const { ok, exceeded } = lessThanOrEqual(mask(newUsage, requested.keys()), hard);
    if (!ok) {
      throw forbidden(def, obj, `exceeded quota: ${quota.metadata.name}, requested: ${prettyPrint(mask(requested, exceeded))}, ` +
        `used: ${prettyPrint(mask(used, exceeded))}, limited: ${prettyPrint(mask(hard, exceeded))}`);
    }
    out.push({ quota, used: newUsage });
  }
  return out;
}

/** The object as quota sees it: in its namespace, with the requests pod defaulting fills from limits. */
function evaluationCopy(def: ResourceDef, namespace: string, obj: KubeObject): KubeObject {
  const copy = cloneObject(obj);
  copy.metadata = { ...copy.metadata, namespace };
  if (def.group === '' && def.plural === 'pods') {
    const spec = objAt(copy.spec);
    if (spec) defaultRequestsFromLimits(spec);
  }
  return copy;
}

/**
 * ResourceQuota admission for a create (no `old`) or an update of `obj` in
 * `namespace`: refuses with upstream's 403 texts what would exceed a quota or
 * lacks what a quota requires, and otherwise charges the request to the
 * quotas it falls under (status.used), so the next request sees it. Requests
 * in one namespace are checked one at a time.
 *
 * Run it after LimitRanger's defaults (admitLimitRange) and before the object
 * is stored, as the last admission step.
 */
export async function admitQuota(ctx: ControllerContext, def: ResourceDef, namespace: string | undefined, obj: KubeObject,
  old?: KubeObject, opts: AdmitQuotaOptions = {}): Promise<void> {
  if (namespace === undefined || namespace === '' || quotaIgnored(def)) return;
  const ev = evaluatorFor(def.group, def.plural);
  if (!ev.handles(old ? 'update' : 'create')) return;
  const vc = ctx.vc;
  const quotaDef = quotaDefOf(vc);
  if (!quotaDef) return;
  const state = stateOf(vc);
  // Writes through the store are in the cache before they return: no quota here means none.
  if (quotasIn(vc, quotaDef, namespace).length === 0) return;
  const input = evaluationCopy(def, namespace, obj);
  const previous = old ? evaluationCopy(def, namespace, old) : undefined;
  await state.locks.run(namespace, async () => {
    const now = ctx.now();
    let pending: Set<string> | undefined;
    let charged = false;
    for (let attempt = 0; ; attempt++) {
      await vc.cache.sync();
      let quotas = quotasIn(vc, quotaDef, namespace);
      if (pending) { const p = pending; quotas = quotas.filter((q) => p.has(q.metadata.name as string)); }
      if (quotas.length === 0) break;
      // A quota created or changed a moment ago is counted now rather than refused as "status unknown".
      const fresh: KubeObject[] = [];
      for (const q of quotas) {
        if (!statusStale(q, ev)) { fresh.push(q); continue; }
        const r = await syncLocked(state, namespace, q.metadata.name as string, now);
        if (r.obj) fresh.push(r.obj);
      }
      const charges = checkRequest(def, ev, fresh, input, previous, now);
      if (opts.dryRun || charges.length === 0) break;
      const failed = new Set<string>();
      let lastErr: unknown;
      for (const ch of charges) {
        const status = { ...(objAt(ch.quota.status) ?? {}), used: writeList(ch.used) };
        try {
          await vc.store.update(quotaDef, namespace, ch.quota.metadata.name as string, { ...cloneObject(ch.quota), status },
            { subresource: 'status', fieldManager: apiServer });
          charged = true;
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 409)) throw e;
          failed.add(ch.quota.metadata.name as string);
          lastErr = e;
        }
      }
      if (failed.size === 0) break;
      if (attempt >= 3) throw lastErr;
      pending = failed;
    }
    if (charged) {
      const name = input.metadata.name;
      state.reserve({
        prefix: listPrefix(def, namespace),
        namespace,
        key: name ? objectKey(def, namespace, name) : undefined,
        baseRV: old?.metadata.resourceVersion,
        generateName: name ? undefined : input.metadata.generateName,
        obj: input,
        source: obj,
        expires: Date.now() + quotaSettings.reservationTtlMs,
      });
    }
  });
}

/**
 * The write admitQuota let through did not happen (validation or storage
 * refused it): release what it reserved and count the namespace's quotas again.
 */
export function quotaAborted(ctx: ControllerContext, def: ResourceDef, obj: KubeObject): void {
  const state = states.get(ctx.vc);
  if (!state) return;
  const ns = obj.metadata.namespace;
  const name = obj.metadata.name;
  const r = state.find(obj, ns && name ? objectKey(def, ns, name) : undefined);
  if (r && state.drop(r)) state.recount(r.namespace);
}
