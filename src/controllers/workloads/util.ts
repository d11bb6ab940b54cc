// Helpers the workload controllers share: pod readiness and availability,
// controller references and adoption, label selectors, the pod-template hash,
// int-or-percent scaling, and condition lists.

import { ApiError } from '../../api/errors.ts';
import { fromLabelSelector, selectorFromSet, type LabelSelector } from '../../api/selectors/labels.ts';
import type { KubeObject, OwnerReference } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { cloneObject, nowTimestamp } from '../../registry/generic/metadata.ts';
import type { GenericStore } from '../../registry/generic/store.ts';
import type { ResourceDef } from '../../registry/types.ts';

/** The field manager controller writes are recorded under, as the controller manager's client reports it. */
export const fieldManager = 'kube-controller-manager';

export const podTemplateHashLabel = 'pod-template-hash';

// ---- shapes ----------------------------------------------------------------

export interface LabelSelectorJson {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[]; [k: string]: unknown };
  spec?: Record<string, unknown>;
}

export interface Condition {
  type: string;
  status: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface PodStatus {
  phase?: string;
  conditions?: Condition[];
  containerStatuses?: { restartCount?: number }[];
  initContainerStatuses?: { name?: string; restartCount?: number }[];
}

// ---- keys ------------------------------------------------------------------

export function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

// ---- time ------------------------------------------------------------------

export function parseTime(ts: unknown): number | undefined {
  if (typeof ts !== 'string' || ts === '') return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

export function timestamp(now: Date): string {
  return nowTimestamp(now);
}

// ---- pods ------------------------------------------------------------------

export function podStatus(pod: KubeObject): PodStatus {
  return (isPlainObject(pod.status) ? pod.status : {}) as PodStatus;
}

export function podReadyCondition(pod: KubeObject): Condition | undefined {
  return podStatus(pod).conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: KubeObject): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/** Not finished and not being deleted (upstream's IsPodActive). */
export function isPodActive(pod: KubeObject): boolean {
  const phase = podStatus(pod).phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

/**
 * When a ready pod counts as available: Ready for more than minReadySeconds.
 * Returns the time (ms) from which it is available, or undefined when it is not ready.
 */
export function availableFrom(pod: KubeObject, minReadySeconds: number): number | undefined {
  const c = podReadyCondition(pod);
  if (c?.status !== 'True') return undefined;
  if (minReadySeconds <= 0) return -Infinity;
  const t = parseTime(c.lastTransitionTime);
  if (t === undefined) return undefined;
  return t + minReadySeconds * 1000;
}

export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now: Date): boolean {
  const from = availableFrom(pod, minReadySeconds);
  // Upstream: lastTransitionTime + minReadySeconds strictly before now.
  return from !== undefined && (from === -Infinity || from < now.getTime());
}

export function nodeNameOf(pod: KubeObject): string {
  const spec = pod.spec as { nodeName?: unknown } | undefined;
  return typeof spec?.nodeName === 'string' ? spec.nodeName : '';
}

// ---- owners ----------------------------------------------------------------

export function controllerOf(obj: KubeObject | undefined): OwnerReference | undefined {
  return obj?.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** The group of an apiVersion: "apps/v1" -> "apps", "v1" -> "". */
export function groupOf(apiVersion: string | undefined): string {
  if (!apiVersion) return '';
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

export function refersTo(ref: OwnerReference | undefined, group: string, kind: string): ref is OwnerReference {
  return ref !== undefined && ref.kind === kind && groupOf(ref.apiVersion) === group;
}

export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion, kind,
    name: owner.metadata.name as string,
    uid: owner.metadata.uid as string,
    controller: true,
    blockOwnerDeletion: true,
  };
}

// ---- selectors -------------------------------------------------------------

const selectorCache = new WeakMap<object, LabelSelector | Error>();

/** A metav1.LabelSelector as a selector (cached per selector object; throws when invalid). */
export function labelSelectorOf(ls: unknown): LabelSelector {
  if (!isPlainObject(ls)) return fromLabelSelector(ls);
  let s = selectorCache.get(ls);
  if (s === undefined) {
    try { s = fromLabelSelector(ls); } catch (e) { s = e as Error; }
    selectorCache.set(ls, s);
  }
  if (s instanceof Error) throw s;
  return s;
}

/** A map selector (ReplicationController's) as a selector; an empty map selects nothing. */
export function mapSelectorOf(m: unknown): LabelSelector {
  if (!isPlainObject(m)) return fromLabelSelector(null);
  let s = selectorCache.get(m);
  if (s === undefined) {
    const set: Record<string, string> = {};
    for (const [k, v] of Object.entries(m)) set[k] = typeof v === 'string' ? v : String(v);
    s = Object.keys(set).length === 0 ? fromLabelSelector(null) : selectorFromSet(set);
    selectorCache.set(m, s);
  }
  return s as LabelSelector;
}

/** True when every label of `want` is on `have` (labels.Set(want).AsSelector().Matches(have)). */
export function labelsContain(have: Record<string, string> | undefined, want: Record<string, string> | undefined): boolean {
  if (!want) return true;
  for (const [k, v] of Object.entries(want)) if (have?.[k] !== v) return false;
  return true;
}

export function cloneSelectorAndAddLabel(sel: LabelSelectorJson | undefined, key: string, value: string): LabelSelectorJson {
  const out: LabelSelectorJson = cloneObject(sel ?? {});
  out.matchLabels = { ...(out.matchLabels ?? {}), [key]: value };
  return out;
}

// ---- semantic equality and the template hash --------------------------------

/**
 * A JSON value with what Go's semantic equality ignores taken out: nulls and
 * empty maps or lists count as absent.
 */
export function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalize);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = normalize(v[k]);
    if (x === null || x === undefined) continue;
    if (Array.isArray(x) && x.length === 0) continue;
    if (isPlainObject(x) && Object.keys(x).length === 0) continue;
    out[k] = x;
  }
  return out;
}

/**
 * Fields of a pod template that are plain (non-pointer) Go values with
 * omitempty: a zero there is the same as no value. Clients that decode into Go
 * types drop them (kubectl rollout undo sends such a template), while a
 * protobuf-encoded write may carry them explicitly.
 */
const zeroMeansAbsent = new Set([
  'hostPort', 'initialDelaySeconds', 'hostNetwork', 'hostPID', 'hostIPC', 'readOnly', 'stdin', 'stdinOnce', 'tty',
]);

function dropGoZeros(v: unknown): void {
  if (Array.isArray(v)) { for (const x of v) dropGoZeros(x); return; }
  if (!isPlainObject(v)) return;
  for (const [k, x] of Object.entries(v)) {
    if (zeroMeansAbsent.has(k) && (x === 0 || x === false)) delete v[k];
    else dropGoZeros(x);
  }
}

/** A pod template as Go would compare it: hash label optional, Go zero values as absent. */
function comparable(t: PodTemplate | undefined, dropHash: boolean): unknown {
  const c = cloneObject(t ?? {}) as PodTemplate;
  if (isPlainObject(c.metadata)) {
    // Every field of a template's ObjectMeta is a plain value with omitempty.
    for (const [k, x] of Object.entries(c.metadata)) if (x === 0 || x === '' || x === false) delete c.metadata[k];
    if (dropHash && c.metadata.labels) delete c.metadata.labels[podTemplateHashLabel];
  }
  dropGoZeros(c.spec);
  return normalize(c);
}

/** Two pod templates equal but for the pod-template-hash label (upstream's EqualIgnoreHash). */
export function equalIgnoreHash(a: PodTemplate | undefined, b: PodTemplate | undefined): boolean {
  return JSON.stringify(comparable(a, true)) === JSON.stringify(comparable(b, true));
}

function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i] as number;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

// The alphabet of upstream's SafeEncodeString: no vowels, no confusable characters.
const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += safeAlphabet[s.charCodeAt(i) % safeAlphabet.length];
  return out;
}

/**
 * The pod-template-hash of a template: FNV-32a over the template (here its
 * canonical JSON), the collision count mixed in as 8 little-endian bytes, and
 * the decimal digits spelled in the safe alphabet, as upstream's ComputeHash does.
 */
export function computeHash(template: PodTemplate | undefined, collisionCount: number | undefined): string {
  let h = fnv32a(new TextEncoder().encode(JSON.stringify(comparable(template, false))));
  if (collisionCount !== undefined) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncode(String(h));
}

// ---- int or percent --------------------------------------------------------

/** intstr.GetScaledValueFromIntOrPercent. */
export function scaledValue(v: unknown, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const m = /^(-?\d+)%$/.exec(v);
    if (!m) {
      if (/^-?\d+$/.test(v)) throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
      throw new Error(`invalid value "${v}": ${JSON.stringify(v)} is not a valid percentage`);
    }
    const pct = Number(m[1]);
    const x = (pct * total) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  throw new Error('invalid value for IntOrString: invalid type: neither int nor percentage');
}

/** Go's integer.RoundToInt32: halves away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? Math.trunc(x - 0.5) : Math.trunc(x + 0.5);
}

// ---- conditions ------------------------------------------------------------

export function getCondition<C extends Condition>(conds: C[] | undefined, type: string): C | undefined {
  return conds?.find((c) => c.type === type);
}

/**
 * Set a condition as upstream's SetCondition helpers do: nothing when status and
 * reason are unchanged; the transition time kept when only the reason changed;
 * otherwise the condition moves to the end of the list.
 */
export function setCondition<C extends Condition>(status: { conditions?: C[] }, cond: C): void {
  const cur = getCondition(status.conditions, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  if (cur && cur.status === cond.status && cur.lastTransitionTime !== undefined) cond.lastTransitionTime = cur.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), cond];
}

export function removeCondition<C extends Condition>(status: { conditions?: C[] }, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
  if (status.conditions.length === 0) delete status.conditions;
}

// ---- ordering ---------------------------------------------------------------

/** Older first; equal timestamps by name (upstream's ...ByCreationTimestamp). */
export function byCreation(a: KubeObject, b: KubeObject): number {
  const ta = parseTime(a.metadata.creationTimestamp) ?? 0;
  const tb = parseTime(b.metadata.creationTimestamp) ?? 0;
  if (ta !== tb) return ta - tb;
  const na = a.metadata.name ?? '', nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

// ---- errors -----------------------------------------------------------------

export function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.code === 404;
}

export function isConflict(e: unknown): boolean {
  return e instanceof ApiError && e.code === 409 && e.reason === 'Conflict';
}

export function isAlreadyExists(e: unknown): boolean {
  return e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists';
}

export function isNamespaceTerminating(e: unknown): boolean {
  return e instanceof ApiError && (e.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating');
}

// ---- adoption and release -----------------------------------------------------

export interface ClaimArgs {
  store: GenericStore;
  /** The children's resource. */
  def: ResourceDef;
  owner: KubeObject;
  ownerApiVersion: string;
  ownerKind: string;
  /** Whether a child belongs to the owner by its labels. */
  match: (child: KubeObject) => boolean;
  /** Re-check the owner before adopting: undefined when it may adopt, else why not. */
  canAdopt: () => string | undefined;
}

/**
 * Claim children as upstream's ControllerRefManager does: keep what the owner
 * controls and still matches, release what it controls but no longer matches,
 * and adopt matching orphans. Returns the claimed children (adopted ones as
 * written); throws the first failure after trying every child.
 */
export async function claimChildren(args: ClaimArgs, candidates: readonly KubeObject[]): Promise<KubeObject[]> {
  const { store, def, owner } = args;
  const ownerUid = owner.metadata.uid;
  const ownerDeleting = !!owner.metadata.deletionTimestamp;
  const claimed: KubeObject[] = [];
  let firstErr: unknown;
  for (const child of candidates) {
    const ref = controllerOf(child);
    if (ref) {
      if (ref.uid !== ownerUid) continue;
      if (args.match(child)) { claimed.push(child); continue; }
      if (ownerDeleting) continue;
      try {
        await release(store, def, child, ownerUid as string);
      } catch (e) {
        if (!isNotFound(e) && !(e instanceof ApiError && e.code === 422)) firstErr ??= e;
      }
      continue;
    }
    if (ownerDeleting || !args.match(child)) continue;
    if (child.metadata.deletionTimestamp) continue;
    if (owner.metadata.namespace && owner.metadata.namespace !== child.metadata.namespace) continue;
    const why = args.canAdopt();
    if (why !== undefined) { firstErr ??= new Error(why); continue; }
    try {
      claimed.push(await adopt(store, def, child, newControllerRef(owner, args.ownerApiVersion, args.ownerKind)));
    } catch (e) {
      if (!isNotFound(e)) firstErr ??= e;
    }
  }
  if (firstErr !== undefined) throw firstErr;
  return claimed;
}

function gone(def: ResourceDef, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${def.group ? `${def.plural}.${def.group}` : def.plural} "${name}" not found`);
}

async function adopt(store: GenericStore, def: ResourceDef, child: KubeObject, ref: OwnerReference): Promise<KubeObject> {
  const name = child.metadata.name as string;
  const { obj } = await store.guaranteedUpdate(def, child.metadata.namespace, name, (cur) => {
    if (!cur || cur.metadata.uid !== child.metadata.uid) throw gone(def, name);
    const other = controllerOf(cur);
    if (other && other.uid !== ref.uid) {
      throw new ApiError(409, 'Conflict', `${def.kind} ${name} is already controlled by ${other.kind} ${other.name}`);
    }
    if (other) return cur;
    cur.metadata.ownerReferences = [...(cur.metadata.ownerReferences ?? []).filter((r) => r.uid !== ref.uid), ref];
    return cur;
  }, { fieldManager });
  return obj;
}

async function release(store: GenericStore, def: ResourceDef, child: KubeObject, ownerUid: string): Promise<void> {
  const name = child.metadata.name as string;
  await store.guaranteedUpdate(def, child.metadata.namespace, name, (cur) => {
    if (!cur || cur.metadata.uid !== child.metadata.uid) throw gone(def, name);
    cur.metadata.ownerReferences = (cur.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
    return cur;
  }, { fieldManager });
}
