// The field manager of the API server: what every write does to metadata.managedFields
// (recordUpdate) and server-side apply (serverSideApply), with the behaviour of
// upstream's chain of managers:
//
// - managedFields sent in a create/update/patch replace the recorded ones (`[]`
//   resets tracking); subresource writes always start from the live object's;
// - an object whose managedFields are empty is not tracked by updates until the first
//   apply, which first gives every existing field to "before-first-apply";
// - each write is recorded under an identifier (manager, operation, apiVersion for
//   updates, subresource); the entry's time changes only when the write changed fields;
// - apiVersion, kind, metadata itself and its system fields are never owned; reset
//   fields (status on the main resource, spec on /status) are never owned by the write;
// - at most 10 update entries are kept: older ones merge into "ancient-changes";
// - a `kubectl` apply may take fields from client-side apply when the live object's
//   last-applied-configuration annotation says kubectl set them, and keeps that
//   annotation up to date.
import { LruMap } from '../lru-map.ts';
import type { JsonObject, JsonValue, KubeObject, ManagedFieldsEntry } from '../types.ts';
import { ApiError, errors } from '../errors.ts';
import type { GroupResource, StatusReason } from '../errors.ts';
import type { SchemaNode } from '../schema/types.ts';
import { goJsonMarshal } from '../decode/go-text.ts';
import { cloneJson, hasOwn, isJsonObject, jsonEqual, withDepthGuard } from '../patch/json-values.ts';
import { rootType } from './atoms.ts';
import type { TypeRef } from './atoms.ts';
import { FieldSet, makePath } from './fieldpath.ts';
import type { Path } from './fieldpath.ts';
import {
  ConflictsError, ManagedFieldsError, conflictError, copyManaged, decodeManagedFields, emptyManaged,
  encodeManagedFields, formatTime, isResetManagedFields, managerIdentifier,
} from './managers.ts';
import type { Managed } from './managers.ts';
import { TypedValueError, compare, formatTypedErrors, toFieldSet, validate, zeroObject } from './typed.ts';
import { updaterApply, updaterUpdate } from './updater.ts';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** Update entries kept before the oldest merge into "ancient-changes". */
export const MAX_UPDATE_MANAGERS = 10;
/** The longest field manager name (bytes). */
export const FIELD_MANAGER_MAX_LENGTH = 128;

/** Fields no manager ever owns. */
const stripSet = FieldSet.fromPaths([
  ['apiVersion'], ['kind'], ['metadata'], ['metadata', 'name'], ['metadata', 'namespace'],
  ['metadata', 'creationTimestamp'], ['metadata', 'selfLink'], ['metadata', 'uid'], ['metadata', 'clusterName'],
  ['metadata', 'generation'], ['metadata', 'managedFields'], ['metadata', 'resourceVersion'],
]);

/** Reset fields of a main resource with a status subresource. */
export const statusResetFields: FieldSet = FieldSet.fromPaths([['status']]);
/** Reset fields of the usual /status subresource. */
export const specResetFields: FieldSet = FieldSet.fromPaths([['spec']]);

/** A set of reset fields from simple field paths, e.g. `resetFields(['spec'], ['metadata', 'labels'])`. */
export function resetFields(...paths: ReadonlyArray<ReadonlyArray<string | number>>): FieldSet {
  return FieldSet.fromPaths(paths.map((p) => makePath(...p)));
}

// ---- manager names ---------------------------------------------------------------------

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/**
 * The manager name upstream derives from a User-Agent when a write names none: the
 * text before the first `/`, without unprintable characters, cut at 128 bytes
 * (`kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07` → `kubectl`).
 */
export function defaultManager(userAgent: string): string {
  const head = userAgent.split('/')[0]!;
  let out = '';
  let bytes = 0;
  for (const ch of head) {
    if (!printable.test(ch)) continue;
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** The `fieldManager` of a write, or the one derived from its User-Agent. */
export function managerName(fieldManager: string | undefined, userAgent: string | undefined): string {
  return fieldManager ? fieldManager : defaultManager(userAgent ?? '');
}

// ---- helpers ------------------------------------------------------------------------------

function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

function withoutManagedFields(obj: JsonObject): JsonObject {
  const meta = obj['metadata'];
  if (!isJsonObject(meta) || !hasOwn(meta, 'managedFields')) return obj;
  const m = { ...meta };
  delete m['managedFields'];
  return { ...obj, metadata: m };
}

/** The object with these managedFields (removed when undefined), placed last in metadata. */
export function withManagedFields<T extends KubeObject | JsonObject>(obj: T, managedFields: ManagedFieldsEntry[] | undefined): T {
  const meta = isJsonObject((obj as JsonObject)['metadata']) ? { ...(obj as JsonObject)['metadata'] as JsonObject } : {};
  delete meta['managedFields'];
  if (managedFields !== undefined) meta['managedFields'] = managedFields as unknown as JsonValue;
  return { ...obj, metadata: meta } as T;
}

function managedFieldsOf(obj: KubeObject | JsonObject | undefined): ManagedFieldsEntry[] | undefined {
  const meta = obj ? (obj as JsonObject)['metadata'] : undefined;
  if (!isJsonObject(meta)) return undefined;
  const mf = meta['managedFields'];
  return Array.isArray(mf) ? mf as unknown as ManagedFieldsEntry[] : undefined;
}

// Stored objects are immutable: their decoded managedFields, and whether they are
// valid for their type, are worked out once per object, not on every update.
// Only the recently written objects' (the next update of an object mostly comes soon after
// its last): decoded field sets are several times the size of the object.
const decodedOf = new LruMap<ManagedFieldsEntry[], Managed>(1024);
const checkedLive = new WeakSet<object>();
/** Objects a write stored after checking them (their whole content is valid for the type). */
const checkedWrites = new WeakSet<object>();

/** `stored` holds what the checked write `written` did: its next update need not check it again. */
export function carryTypeCheck(written: object, stored: object): void {
  if (checkedWrites.has(written)) checkedLive.add(stored);
}

/** The stored object's managedFields, decoded (once). Treat as read-only. */
function decodeStored(mf: ManagedFieldsEntry[] | undefined): Managed {
  if (mf === undefined) return tryDecode(mf);
  let m = decodedOf.get(mf);
  if (!m) decodedOf.set(mf, (m = tryDecode(mf)));
  return m;
}

function tryDecode(mf: ManagedFieldsEntry[] | undefined): Managed {
  try {
    return decodeManagedFields(mf);
  } catch {
    return emptyManaged();
  }
}

function strip(m: Managed, id: string): void {
  const vs = m.fields.get(id);
  if (!vs) return;
  const set = vs.set.difference(stripSet);
  if (set.isEmpty()) m.fields.delete(id);
  else m.fields.set(id, { ...vs, set });
}

function timeSeconds(t: string | undefined): number {
  if (t === undefined) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/** Merges the oldest update entries into "ancient-changes" per apiVersion (upstream capManagers). */
function capUpdateManagers(m: Managed, max: number): void {
  const updaters = [...m.fields.entries()].filter(([, vs]) => !vs.applied).map(([id]) => id);
  if (updaters.length <= max) return;
  updaters.sort((a, b) => timeSeconds(m.times.get(a)) - timeSeconds(m.times.get(b)) || (a < b ? -1 : a > b ? 1 : 0));
  const firstByVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > max; i++) {
    const id = updaters[i]!;
    const vs = m.fields.get(id)!;
    const time = m.times.get(id);
    const bucket = managerIdentifier({ manager: 'ancient-changes', operation: 'Update', apiVersion: vs.apiVersion });
    const first = firstByVersion.get(vs.apiVersion);
    if (first === undefined) {
      firstByVersion.set(vs.apiVersion, id);
      continue;
    }
    if (!m.fields.has(bucket)) {
      const s = m.fields.get(first)!;
      m.fields.delete(first);
      m.fields.set(bucket, s);
    }
    m.fields.set(bucket, { set: vs.set.union(m.fields.get(bucket)!.set), apiVersion: vs.apiVersion, applied: vs.applied });
    m.fields.delete(id);
    length--;
    m.times.set(bucket, time);
  }
}

interface Ctx {
  /** Check values against the schema before comparing them (custom resources, applies). */
  check: boolean;
  /** The live object is known to be valid for the type (it was checked when it was stored). */
  liveChecked?: boolean;
  tr: TypeRef;
  /** The empty object of the kind. */
  zero: JsonObject;
  apiVersion: string;
  subresource: string;
  reset: FieldSet | undefined;
  now: string;
}

/** Checks a value can be taken as typed; throws TypedValueError. */
function typed(v: JsonValue, tr: TypeRef, allowDuplicates: boolean): void {
  const errs = validate(v, tr, allowDuplicates);
  if (errs.length > 0) throw new TypedValueError(errs);
}

/** One update through the chain below the skip-non-applied manager. Throws on errors. */
function updateChain(live: JsonObject, next: JsonObject, managed: Managed, manager: string, ctx: Ctx): Managed {
  const id = managerIdentifier({ manager: manager || 'unknown', operation: 'Update', apiVersion: ctx.apiVersion, subresource: ctx.subresource });
  // Built-in kinds are type-checked as they are decoded and made by the server's own code: the
  // walk below still refuses list items without keys. Custom resources are checked here.
  if (!ctx.check) {
    // nothing more to check
  } else if (!ctx.liveChecked) {
    typed(next, ctx.tr, true);
    typed(live, ctx.tr, true);
  } else {
    // The live object was checked when stored: parts the write shares with it need no second look.
    const changed: JsonObject = {};
    for (const [k, v] of Object.entries(next)) if (v !== live[k]) changed[k] = v;
    typed(changed, ctx.tr, true);
  }
  const self = 'current-operation';
  const m = updaterUpdate(live, next, ctx.tr, ctx.apiVersion, copyManaged(managed), self, ctx.reset);
  strip(m, self);
  const vs = m.fields.get(self);
  if (vs) {
    m.fields.delete(self);
    const prev = m.fields.get(id);
    m.fields.set(id, prev ? { set: vs.set.union(prev.set), apiVersion: vs.apiVersion, applied: vs.applied } : vs);
    m.times.set(id, ctx.now);
  }
  capUpdateManagers(m, MAX_UPDATE_MANAGERS);
  return m;
}

// ---- ordinary writes ------------------------------------------------------------------------

export interface RecordUpdateArgs {
  /** The stored object, or undefined on create. */
  live: KubeObject | undefined;
  /** The object about to be stored (defaulted), with the managedFields the request carried. */
  object: KubeObject;
  /** The field manager (`fieldManager`, or `defaultManager(userAgent)`); empty means "unknown". */
  manager: string;
  /** The request's group/version, e.g. `apps/v1`. */
  apiVersion: string;
  /** `status`, `scale`, ... for subresource writes. */
  subresource?: string;
  /** The kind's schema. */
  schema: SchemaNode;
  /** Fields this endpoint does not write (status on the main resource, spec on /status). */
  resetFields?: FieldSet;
  now?: Date | string;
  /** A custom resource: its empty object has no spec/status. */
  custom?: boolean;
  /** The empty object a create is compared against (default: `zeroObject(schema)`). */
  zero?: JsonObject;
}

/**
 * The managedFields an ordinary write (create, update, patch, controller updates)
 * stores: undefined means the object carries none. On errors the live object's
 * managedFields are kept, as upstream does.
 */
export function recordUpdate(args: RecordUpdateArgs): ManagedFieldsEntry[] | undefined {
  const { live, object } = args;
  const subresource = args.subresource ?? '';
  const tr = rootType(args.schema);
  const liveMf = managedFieldsOf(live);
  let managed: Managed;
  if (subresource) managed = decodeStored(liveMf);
  else {
    const newMf = (object.metadata as JsonObject | undefined)?.['managedFields'];
    if (isResetManagedFields(newMf)) managed = emptyManaged();
    // Writers mostly send back the managedFields they read: the stored ones, decoded already.
    else if (liveMf !== undefined && Array.isArray(newMf) && jsonEqual(newMf, liveMf as unknown as JsonValue)) managed = decodeStored(liveMf);
    else {
      let m: Managed | undefined;
      try {
        m = decodeManagedFields(Array.isArray(newMf) ? newMf as unknown as ManagedFieldsEntry[] : undefined);
      } catch {
        m = undefined;
      }
      managed = m && m.fields.size > 0 ? m : decodeStored(liveMf);
    }
  }
  // Objects whose tracking was reset are not tracked again until an apply.
  if (managed.fields.size === 0 && live !== undefined && live.metadata?.uid) return undefined;
  const liveObj = live !== undefined ? withoutManagedFields(live as unknown as JsonObject)
    : args.zero ?? (args.custom ? customZero(object) : zeroObject(args.schema));
  const next = withoutManagedFields(object as unknown as JsonObject);
  const liveChecked = live !== undefined && checkedLive.has(live);
  const ctx: Ctx = { check: args.custom === true, tr, zero: liveObj, apiVersion: args.apiVersion, subresource, reset: args.resetFields, now: formatTime(args.now ?? new Date()), liveChecked };
  try {
    const out = encodeManagedFields(updateChain(liveObj, next, managed, args.manager, ctx));
    if (live !== undefined) checkedLive.add(live);
    checkedWrites.add(object);
    return out;
  } catch {
    return liveMf;
  }
}

function customZero(obj: KubeObject | JsonObject): JsonObject {
  const out: JsonObject = {};
  const o = obj as JsonObject;
  if (typeof o['apiVersion'] === 'string') out['apiVersion'] = o['apiVersion'];
  if (typeof o['kind'] === 'string') out['kind'] = o['kind'];
  return out;
}

// ---- server-side apply -----------------------------------------------------------------------

export interface ServerSideApplyArgs {
  /** The stored object, or undefined (the apply creates it). */
  live: KubeObject | undefined;
  /** The applied configuration, as decoded from the JSON/YAML body. */
  applied: JsonValue;
  /** The field manager (required for apply). */
  manager: string;
  /** `force=true`: take fields from other managers instead of failing. */
  force?: boolean;
  /** Group, version and kind of the URL. */
  group: string;
  version: string;
  kind: string;
  subresource?: string;
  schema: SchemaNode;
  /** Fields this endpoint does not write (status on the main resource, spec on /status). */
  resetFields?: FieldSet;
  now?: Date | string;
  /** When given: the URL's name and namespace ('' when cluster-scoped) are checked against the result. */
  name?: string;
  namespace?: string;
  /** For the wording of the uid-mismatch conflict. */
  resource?: GroupResource;
  /** Keep null values the configuration sets (nullable custom-resource fields). */
  keepNulls?: boolean;
  /** A custom resource: its empty object has no spec/status. */
  custom?: boolean;
  /** The empty object of the kind (default: `zeroObject(schema)`). */
  zero?: JsonObject;
}

export interface ServerSideApplyResult {
  /** The object to store, its managedFields set. */
  object: KubeObject;
  managedFields: ManagedFieldsEntry[] | undefined;
  /** The apply created the object. */
  created: boolean;
  /** Anything differs from the live object (managedFields included). */
  changed: boolean;
}

function serverError(message: string): ApiError {
  return new ApiError(500, '' as StatusReason, message);
}

function parseGroupVersion(s: string): { group: string; version: string } | undefined {
  if (s === '' || s === '/') return { group: '', version: '' };
  const n = s.split('/').length - 1;
  if (n === 0) return { group: '', version: s };
  if (n === 1) {
    const i = s.indexOf('/');
    return { group: s.slice(0, i), version: s.slice(i + 1) };
  }
  return undefined;
}

function str(v: JsonValue | undefined): string {
  return typeof v === 'string' ? v : '';
}

function metaOf(o: JsonObject): JsonObject {
  const m = o['metadata'];
  return isJsonObject(m) ? m : {};
}

function gvknn(o: JsonObject, gvk: string): string {
  const m = metaOf(o);
  return `${str(m['namespace'])}/${str(m['name'])}; ${gvk}`;
}

/**
 * Server-side apply: merges the applied configuration into the live object (or a new
 * one), records `manager`'s Apply entry, removes fields the manager no longer applies
 * that nobody else owns, and throws the upstream 409 on conflicts (unless `force`).
 * Other failures are ApiErrors with upstream's codes and texts.
 */
export function serverSideApply(args: ServerSideApplyArgs): ServerSideApplyResult {
  return withDepthGuard(() => apply(args));
}

function apply(args: ServerSideApplyArgs): ServerSideApplyResult {
  const { live, manager } = args;
  const force = args.force ?? false;
  const subresource = args.subresource ?? '';
  const apiVersion = apiVersionOf(args.group, args.version);
  const tr = rootType(args.schema);
  const zero = args.zero ?? (args.custom ? { apiVersion, kind: args.kind } : zeroObject(args.schema));
  const ctx: Ctx = { check: true, tr, zero, apiVersion, subresource, reset: args.resetFields, now: formatTime(args.now ?? new Date()) };

  if (args.applied !== null && !isJsonObject(args.applied)) {
    const t = Array.isArray(args.applied) ? 'array' : typeof args.applied === 'boolean' ? 'bool' : typeof args.applied;
    throw errors.badRequest(`error decoding patch: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${t} into Go value of type map[string]interface {}`);
  }
  const config: JsonObject = args.applied ?? {};

  let managed: Managed;
  try {
    managed = decodeManagedFields(managedFieldsOf(live));
  } catch (e) {
    if (e instanceof ManagedFieldsError) throw serverError(`failed to decode managed fields: ${e.message}`);
    throw e;
  }
  const gv = parseGroupVersion(str(config['apiVersion']));
  const appliedKind = gv ? str(config['kind']) : '';
  const agv = gv ?? { group: '', version: '' };
  if (agv.group !== args.group || agv.version !== args.version || appliedKind !== args.kind) {
    throw errors.badRequest(`invalid object type: ${agv.group}/${agv.version}, Kind=${appliedKind}`);
  }

  const liveObj: JsonObject = live !== undefined ? withoutManagedFields(live as unknown as JsonObject) : {};
  const run = (f: boolean) => applyChain(liveObj, config, managed, manager, f, ctx, `${args.group}/${args.version}, Kind=${args.kind}`);
  let out: { object: JsonObject; managed: Managed };
  try {
    out = run(force);
  } catch (e) {
    if (!(e instanceof ConflictsError)) throw e;
    if (manager !== 'kubectl') throw conflictError(e.conflicts);
    const allowed = allowedConflictsFromLastApplied(live, apiVersion, tr);
    if (!allowed) throw conflictError(e.conflicts);
    const remaining = e.conflicts.filter((c) => !allowed.has(c.path));
    if (remaining.length > 0) throw conflictError(remaining);
    out = run(true);
  }

  let object = out.object;
  if (!args.keepNulls) object = dropNewNulls(object, liveObj) as JsonObject;
  if (manager === 'kubectl' && hasLastApplied(object)) object = setLastApplied(object, buildLastApplied(config));

  const created = live === undefined;
  if (args.name !== undefined) object = checkNameAndNamespace(object, created, args);

  let managedFields = encodeManagedFields(out.managed);
  object = withManagedFields(object, managedFields);
  if (live !== undefined) {
    object = revertNoopTimestamps(live, object as unknown as KubeObject) as unknown as JsonObject;
    managedFields = managedFieldsOf(object);
  }
  const changed = live === undefined || !jsonEqual(live as unknown as JsonObject, object);
  return { object: object as unknown as KubeObject, managedFields, created, changed };
}

function applyChain(live: JsonObject, config: JsonObject, managed0: Managed, manager: string, force: boolean, ctx: Ctx, gvk: string): { object: JsonObject; managed: Managed } {
  let managed = copyManaged(managed0);
  // The first apply gives every existing field to "before-first-apply".
  if (managed.fields.size === 0) {
    try {
      managed = updateChain(ctx.zero, live, managed, 'before-first-apply', ctx);
    } catch (e) {
      throw serverError(`failed to create manager for existing fields: ${(e as Error).message}`);
    }
  }
  const id = managerIdentifier({ manager: manager || 'unknown', operation: 'Apply', subresource: ctx.subresource });
  const meta = config['metadata'];
  if (isJsonObject(meta) && Array.isArray(meta['managedFields']) && meta['managedFields'].every(isJsonObject)) {
    throw errors.badRequest('metadata.managedFields must be nil');
  }
  const pe = validate(config, ctx.tr, false);
  if (pe.length > 0) throw serverError(`failed to create typed patch object (${gvknn(config, gvk)}): ${formatTypedErrors(pe)}`);
  const le = validate(live, ctx.tr, true);
  if (le.length > 0) throw serverError(`failed to create typed live object (${gvknn(live, gvk)}): ${formatTypedErrors(le)}`);
  let res;
  try {
    res = updaterApply(live, config, ctx.tr, ctx.apiVersion, managed, id, force, ctx.reset);
  } catch (e) {
    if (e instanceof TypedValueError) throw serverError(`failed to merge config: ${e.message}`);
    throw e;
  }
  const m = res.managed;
  strip(m, id);
  if (res.object !== undefined) m.times.set(id, ctx.now);
  return { object: res.object ?? cloneJson(live), managed: m };
}

/** Null values the merge introduced (Go drops them when it decodes the object). */
function dropNewNulls(v: JsonValue, live: JsonValue | undefined): JsonValue {
  if (Array.isArray(v)) {
    const l = Array.isArray(live) ? live : [];
    return v.map((x, i) => dropNewNulls(x, l[i]));
  }
  if (!isJsonObject(v)) return v;
  const lo = isJsonObject(live) ? live : undefined;
  const out: JsonObject = {};
  for (const k of Object.keys(v)) {
    const x = v[k]!;
    const lx = lo && hasOwn(lo, k) ? lo[k] : undefined;
    if (x === null && lx !== null) continue;
    out[k] = dropNewNulls(x, lx);
  }
  return out;
}

function checkNameAndNamespace(obj: JsonObject, created: boolean, args: ServerSideApplyArgs): JsonObject {
  const meta = { ...metaOf(obj) };
  const name = args.name ?? '';
  const uid = str(meta['uid']);
  if (created && uid) {
    const why = `uid mismatch: the provided object specified uid ${uid}, and no existing object was found`;
    throw args.resource ? errors.conflict(args.resource, name, why) : new ApiError(409, 'Conflict', `Operation cannot be fulfilled on "${name}": ${why}`);
  }
  const reqNs = args.namespace ?? '';
  const objNs = str(meta['namespace']);
  if (objNs !== reqNs) {
    if (objNs === '') meta['namespace'] = reqNs;
    else if (reqNs === '') delete meta['namespace'];
    else throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const objName = str(meta['name']);
  if (objName !== name) throw errors.badRequest(`the name of the object (${objName}) does not match the name on the URL (${name})`);
  return { ...obj, metadata: meta };
}

// ---- client-side apply's annotation ----------------------------------------------------------

function annotationsOf(o: JsonObject | KubeObject | undefined): Record<string, unknown> | undefined {
  const meta = o ? (o as JsonObject)['metadata'] : undefined;
  if (!isJsonObject(meta)) return undefined;
  const a = meta['annotations'];
  return isJsonObject(a) ? a : undefined;
}

function hasLastApplied(o: JsonObject): boolean {
  const v = annotationsOf(o)?.[LAST_APPLIED_ANNOTATION];
  return typeof v === 'string' && v.length > 0;
}

/** The annotation kubectl's server-side apply keeps: the applied configuration without it. */
export function buildLastApplied(config: JsonObject): string {
  const c = cloneJson(config);
  const meta = c['metadata'];
  if (isJsonObject(meta)) {
    const a = meta['annotations'];
    if (isJsonObject(a) && Object.values(a).every((x) => typeof x === 'string')) {
      delete a[LAST_APPLIED_ANNOTATION];
    } else if (a !== undefined) {
      delete meta['annotations'];
    }
  }
  return `${goJsonMarshal(c)}\n`;
}

const totalAnnotationSizeLimit = 256 * 1024;

function setLastApplied(obj: JsonObject, value: string): JsonObject {
  const meta = { ...metaOf(obj) };
  const annotations: JsonObject = { ...(annotationsOf(obj) as JsonObject | undefined ?? {}) };
  annotations[LAST_APPLIED_ANNOTATION] = value;
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) size += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : '');
  if (size > totalAnnotationSizeLimit) delete annotations[LAST_APPLIED_ANNOTATION];
  meta['annotations'] = annotations;
  return { ...obj, metadata: meta };
}

/**
 * The fields client-side apply set that still hold the values it set (from the live
 * object's last-applied annotation): a `kubectl` apply may take these without force.
 */
function allowedConflictsFromLastApplied(live: KubeObject | undefined, apiVersion: string, tr: TypeRef): FieldSet | undefined {
  const la = annotationsOf(live)?.[LAST_APPLIED_ANNOTATION];
  if (typeof la !== 'string' || la === '') return undefined;
  let last: JsonValue;
  try {
    last = JSON.parse(la) as JsonValue;
  } catch {
    return undefined;
  }
  if (!isJsonObject(last) || str(last['apiVersion']) !== apiVersion) return undefined;
  const liveObj = live as unknown as JsonObject;
  if (validate(liveObj, tr, false).length > 0 || validate(last, tr, false).length > 0) return undefined;
  try {
    const set = toFieldSet(last, tr);
    const cmp = compare(last, liveObj, tr);
    return set.difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
  } catch {
    return undefined;
  }
}

// ---- storage-level helpers ------------------------------------------------------------------

/**
 * Upstream's last step before storing: when an update changes nothing but managedFields
 * timestamps (same entries otherwise, same object otherwise), the old timestamps are
 * kept so that the write is a no-op. Returns `next`, possibly with old times restored.
 */
export function revertNoopTimestamps<T extends KubeObject>(old: KubeObject, next: T): T {
  const om = managedFieldsOf(old) ?? [];
  const nm = managedFieldsOf(next) ?? [];
  if (om.length !== nm.length || nm.length === 0) return next;
  if (nm.every((e, i) => (e.time ?? null) === (om[i]!.time ?? null))) return next;
  const noTime = (e: ManagedFieldsEntry) => {
    const c = { ...e };
    delete c.time;
    return c as unknown as JsonValue;
  };
  if (!nm.every((e, i) => jsonEqual(noTime(e), noTime(om[i]!)))) return next;
  const a = withoutManagedFields(old as unknown as JsonObject);
  const b = withoutManagedFields(next as unknown as JsonObject);
  if (!jsonEqual(a, b)) return next;
  const restored = nm.map((e, i) => {
    const c = { ...e };
    if (om[i]!.time === undefined) delete c.time;
    else c.time = om[i]!.time!;
    return c;
  });
  return withManagedFields(next, restored);
}

// ---- the scale subresource ---------------------------------------------------------------------

/** The replicas path of a kind per apiVersion, e.g. `{'apps/v1': ['spec', 'replicas']}`; null: no scale. */
export type ReplicasPaths = Record<string, ReadonlyArray<string> | null>;

const replicasInScale: Path = makePath('spec', 'replicas');
const scaleApiVersion = 'autoscaling/v1';

/**
 * The managedFields of a Scale made from its parent's: entries owning the replicas
 * field, as owners of `spec.replicas` in autoscaling/v1 (upstream ScaleHandler).
 */
export function scaleManagedFields(parent: ManagedFieldsEntry[] | undefined, paths: ReplicasPaths): ManagedFieldsEntry[] | undefined {
  const managed = decodeManagedFields(parent);
  const out = emptyManaged();
  for (const [id, vs] of managed.fields) {
    const p = paths[vs.apiVersion];
    if (!p) continue;
    if (vs.set.has(makePath(...p))) {
      out.fields.set(id, { set: FieldSet.fromPaths([replicasInScale]), apiVersion: scaleApiVersion, applied: vs.applied });
      out.times.set(id, managed.times.get(id));
    }
  }
  return encodeManagedFields(out);
}

/**
 * The parent's managedFields after a write to its Scale: the Scale's owners of
 * `spec.replicas` take the parent's replicas field (upstream ScaleHandler.ToParent).
 */
export function parentManagedFieldsFromScale(
  parent: ManagedFieldsEntry[] | undefined, scale: ManagedFieldsEntry[] | undefined, apiVersion: string, paths: ReplicasPaths,
): ManagedFieldsEntry[] | undefined {
  const p = decodeManagedFields(parent);
  const s = decodeManagedFields(scale);
  const scaleFields = new Map(s.fields);
  const out = emptyManaged();
  for (const [id, vs] of p.fields) {
    if (!hasOwn(paths, vs.apiVersion)) continue;
    const path = paths[vs.apiVersion];
    if (!path || !vs.set.has(makePath(...path))) {
      out.fields.set(id, vs);
      out.times.set(id, p.times.get(id));
      continue;
    }
    if (!scaleFields.has(id)) {
      const set = vs.set.difference(FieldSet.fromPaths([makePath(...path)]));
      if (!set.isEmpty()) {
        out.fields.set(id, { ...vs, set });
        out.times.set(id, p.times.get(id));
      }
    } else {
      out.fields.set(id, vs);
      out.times.set(id, p.times.get(id));
      scaleFields.delete(id);
    }
  }
  const own = paths[apiVersion];
  for (const [id, vs] of scaleFields) {
    if (!vs.set.has(replicasInScale) || !own) continue;
    out.fields.set(id, { set: FieldSet.fromPaths([makePath(...own)]), apiVersion, applied: vs.applied });
    out.times.set(id, p.times.get(id));
  }
  return encodeManagedFields(out);
}
