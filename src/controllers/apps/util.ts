// Pieces the workload controllers share: the shapes of the objects they read,
// pod readiness and availability as the API helpers define them, controller
// references and the adopt/release protocol of ControllerRefManager,
// int-or-percent scaling, and the hashes and canonical JSON behind
// ControllerRevision names.

import { ApiError } from '../../api/errors.ts';
import type { KubeObject, ObjectMeta, OwnerReference } from '../../api/types.ts';
import { selectorMatches } from '../../api/validation/labelselector.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { ControllerContext } from '../context.ts';
import { deepCopy } from '../../api/json-copy.ts';
import { compareUtf8 } from '../../api/decode/go-text.ts';

/** The field manager upstream's controllers write with. */
export const fieldManager = 'kube-controller-manager';

export type Obj = Record<string, unknown>;

export interface Condition {
  type: string;
  status: string;
  lastTransitionTime?: string | null;
  [k: string]: unknown;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface PodSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Obj;
  tolerations?: Toleration[];
  hostNetwork?: boolean;
  hostname?: string;
  subdomain?: string;
  volumes?: Obj[];
  [k: string]: unknown;
}

export interface PodTemplate {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}

export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: { phase?: string; conditions?: Condition[]; [k: string]: unknown };
}

export interface Revision extends KubeObject {
  data?: unknown;
  revision?: number;
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  return v === undefined ? v : deepCopy(v);
}

export function podPhase(pod: Pod): string {
  return pod.status?.phase ?? '';
}

export function isTerminating(obj: KubeObject): boolean {
  return !!obj.metadata.deletionTimestamp;
}

export function isPodTerminal(pod: Pod): boolean {
  const p = podPhase(pod);
  return p === 'Failed' || p === 'Succeeded';
}

function readyCondition(pod: Pod): Condition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/** The pod has a Ready condition that is True. */
export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/**
 * Ready for at least minReadySeconds: the Ready condition turned True more than
 * minReadySeconds before `now` (with minReadySeconds 0, ready is available).
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: Date): boolean {
  const c = readyCondition(pod);
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const t = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return !Number.isNaN(t) && t + minReadySeconds * 1000 < now.getTime();
}

/** Milliseconds until a ready pod becomes available, or undefined when that is not pending. */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, now: Date): number | undefined {
  if (!minReadySeconds || isTerminating(pod)) return undefined;
  const c = readyCondition(pod);
  if (c?.status !== 'True' || !c.lastTransitionTime) return undefined;
  const at = Date.parse(c.lastTransitionTime) + minReadySeconds * 1000;
  if (Number.isNaN(at) || at < now.getTime()) return undefined;
  return at - now.getTime() + 20;
}

// ---- owner references ---------------------------------------------------------

export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** metav1.NewControllerRef: controller and blockOwnerDeletion both true. */
export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion, kind, name: owner.metadata.name as string, uid: owner.metadata.uid as string,
    controller: true, blockOwnerDeletion: true,
  };
}

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.code === 404;
}

export function isAlreadyExists(e: unknown): boolean {
  return e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists';
}

/** The objects of a resource in one namespace, straight from the watch cache. */
export function cached(ctx: ControllerContext, def: ResourceDef, namespace: string | undefined): KubeObject[] {
  const p = def.scope === 'Namespaced' && namespace ? `${prefixOf(def)}${namespace}/` : prefixOf(def);
  const out: KubeObject[] = [];
  for (const c of ctx.vc.cache.scan(p)) out.push(c.obj);
  return out;
}

/** The objects of a resource in the owner's namespace that it controls or that have no controller. */
export function claimableBy(ctx: ControllerContext, def: ResourceDef, owner: KubeObject): KubeObject[] {
  return ctx.vc.cache.claimable(`${prefixOf(def)}${owner.metadata.namespace}/`, owner.metadata.uid as string).map((c) => c.obj);
}

function prefixOf(def: ResourceDef): string {
  const s = def.storage ?? { group: def.group, resource: def.plural };
  return `/registry/${s.group || 'core'}/${s.resource}/`;
}

export interface ClaimOptions {
  ctx: ControllerContext;
  /** The resource of the claimed objects. */
  def: ResourceDef;
  owner: KubeObject;
  ownerApiVersion: string;
  ownerKind: string;
  selector: unknown;
  /** Extra conditions an object must meet to be ours (StatefulSets: its name). */
  filter?: (obj: KubeObject) => boolean;
}

/**
 * ControllerRefManager.ClaimObjects: keep what we control and still select,
 * release what we control but no longer select, adopt matching orphans (after
 * checking, against a fresh read, that the owner is not being deleted).
 */
export async function claimObjects(opts: ClaimOptions, objects: KubeObject[]): Promise<KubeObject[]> {
  const { ctx, def, owner } = opts;
  const uid = owner.metadata.uid;
  const matches = (o: KubeObject) => selectorMatches(opts.selector, o.metadata.labels ?? {}) && (!opts.filter || opts.filter(o));
  const claimed: KubeObject[] = [];
  let canAdopt: boolean | undefined;
  const ownerDef = ctx.vc.registry.find('apps', 'v1', opts.ownerKind === 'StatefulSet' ? 'statefulsets' : 'daemonsets');
  const recheck = async (): Promise<boolean> => {
    if (canAdopt !== undefined) return canAdopt;
    canAdopt = false;
    if (!ownerDef) return false;
    try {
      const fresh = await ctx.vc.store.get(ownerDef, owner.metadata.namespace, owner.metadata.name as string);
      canAdopt = fresh.metadata.uid === uid && !fresh.metadata.deletionTimestamp;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return canAdopt;
  };
  for (const o of objects) {
    const ref = controllerRefOf(o);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches(o)) { claimed.push(o); continue; }
      if (owner.metadata.deletionTimestamp) continue;
      await releaseObject(ctx, def, o, uid as string);
      continue;
    }
    if (owner.metadata.deletionTimestamp || !matches(o) || o.metadata.deletionTimestamp) continue;
    if (!(await recheck())) continue;
    const adopted = await adoptObject(ctx, def, o, newControllerRef(owner, opts.ownerApiVersion, opts.ownerKind));
    if (adopted) claimed.push(adopted);
  }
  return claimed;
}

async function adoptObject(ctx: ControllerContext, def: ResourceDef, obj: KubeObject, ref: OwnerReference): Promise<KubeObject | undefined> {
  try {
    const { obj: out } = await ctx.vc.store.guaranteedUpdate(def, obj.metadata.namespace, obj.metadata.name as string, (cur) => {
      const o = cur as KubeObject;
      if (o.metadata.uid !== obj.metadata.uid) throw new ApiError(409, 'Conflict', 'the object was replaced');
      const other = controllerRefOf(o);
      if (other && other.uid !== ref.uid) throw new ApiError(409, 'Conflict', `the object is already controlled by ${other.kind} ${other.name}`);
      const refs = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== ref.uid);
      o.metadata.ownerReferences = [...refs, ref];
      return o;
    }, { fieldManager });
    return out;
  } catch (e) {
    if (isNotFound(e) || (e instanceof ApiError && e.code === 409)) return undefined;
    throw e;
  }
}

async function releaseObject(ctx: ControllerContext, def: ResourceDef, obj: KubeObject, ownerUid: string): Promise<void> {
  try {
    await ctx.vc.store.guaranteedUpdate(def, obj.metadata.namespace, obj.metadata.name as string, (cur) => {
      const o = cur as KubeObject;
      if (o.metadata.uid !== obj.metadata.uid) throw new ApiError(409, 'Conflict', 'the object was replaced');
      const refs = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
      if (refs.length > 0) o.metadata.ownerReferences = refs;
      else delete o.metadata.ownerReferences;
      return o;
    }, { fieldManager });
  } catch (e) {
    if (isNotFound(e) || (e instanceof ApiError && (e.code === 409 || e.code === 422))) return;
    throw e;
  }
}

// ---- numbers --------------------------------------------------------------------

/**
 * intstr.GetScaledValueFromIntOrPercent: an integer as is, "N%" of total
 * rounded up or down. Undefined for malformed values.
 */
export function scaledValue(v: unknown, total: number, roundUp: boolean): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return undefined;
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

/**
 * Run fn over n items in batches of 1, 2, 4, ... (at most 500 at a time),
 * stopping after a batch with a failure. Returns the errors of that batch.
 */
export async function slowStart(n: number, fn: (i: number) => Promise<void>, initial = 1): Promise<unknown[]> {
  let pos = 0;
  let size = Math.min(n, initial);
  while (size > 0 && pos < n) {
    const results = await Promise.allSettled(Array.from({ length: size }, (_, k) => fn(pos + k)));
    const errs = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    if (errs.length > 0) return errs;
    pos += size;
    size = Math.min(2 * size, n - pos, 500);
  }
  return [];
}

// ---- hashing and canonical JSON ---------------------------------------------------

/** JSON with object keys sorted at every level, as Go marshals maps. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x === undefined ? null : x)).join(',')}]`;
  if (isObj(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v === undefined ? null : v);
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1, 32 bits, continuing from `h`. */
export function fnv1(bytes: Uint8Array, h = FNV_OFFSET): number {
  for (const b of bytes) h = (Math.imul(h, FNV_PRIME) ^ b) >>> 0;
  return h >>> 0;
}

/** FNV-1a, 32 bits, continuing from `h`. */
export function fnv1a(bytes: Uint8Array, h = FNV_OFFSET): number {
  for (const b of bytes) h = Math.imul(h ^ b, FNV_PRIME) >>> 0;
  return h >>> 0;
}

const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: each byte mapped into an alphabet without vowels or confusable digits. */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += safeAlphabet[s.charCodeAt(i) % safeAlphabet.length];
  return out;
}

export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** history.ControllerRevisionName: prefix-hash, the prefix cut to 223 characters. */
export function revisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

/** Sort revisions by number, then creation time, then name (history.SortControllerRevisions). */
export function sortRevisions(revs: Revision[]): Revision[] {
  return revs.sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0) ||
    compareUtf8(String(a.metadata.creationTimestamp ?? ''), String(b.metadata.creationTimestamp ?? '')) ||
    compareUtf8(String(a.metadata.name), String(b.metadata.name)));
}

/**
 * The patch a ControllerRevision stores for a workload: its pod template, to be
 * applied with `$patch: replace`. (Since 1.34 Go no longer writes the
 * template's zero creationTimestamp, so a stored `null` is dropped too.)
 */
export function templatePatch(workload: KubeObject): Obj {
  const spec = isObj(workload.spec) ? workload.spec : {};
  const template = isObj(spec.template) ? clone(spec.template) : {};
  if (isObj(template.metadata) && template.metadata.creationTimestamp === null) delete template.metadata.creationTimestamp;
  template.$patch = 'replace';
  return { spec: { template } };
}

/** The pod template a ControllerRevision records, or undefined if it records something else. */
export function revisionTemplate(rev: Revision): PodTemplate | undefined {
  const data = rev.data;
  if (!isObj(data) || !isObj(data.spec) || !isObj(data.spec.template)) return undefined;
  const { $patch: _p, ...t } = clone(data.spec.template);
  return t as PodTemplate;
}
