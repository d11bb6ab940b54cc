// The one generic store: create, read, update, delete, list and watch for every
// declared resource, with the semantics of kube-apiserver's generic registry
// (optimistic concurrency, finalizers and graceful deletion, generation,
// status subresources, list chunking and resourceVersion rules).

import { errors, ApiError, type FieldError } from '../../api/errors.ts';
import type { KubeObject, KubeList } from '../../api/types.ts';
import type { KVStore } from '../../storage/types.ts';
import { CompactedError } from '../../storage/types.ts';
import { apiVersionOf, type ResourceDef, type UserInfo } from '../types.ts';
import { listPrefix, objectKey, resourcePrefix } from './keys.ts';
import { cloneObject, dropEmptyMetadata, generateName, newUid, nowTimestamp, specChanged, jsonEqual } from './metadata.ts';
import type { CacheEvent, CachedObject, WatchCache } from './watch-cache.ts';
import type { AdmissionOperation, AdmissionPlugin, AdmissionRequest } from './admission.ts';

export interface WriteOptions {
  dryRun?: boolean;
  /** Who writes: the Update entry of metadata.managedFields it owns ('kubevisor' when unset). */
  fieldManager?: string;
  /** 'given': the object's managedFields are already computed (server-side apply); default: record this write. */
  managedFields?: 'record' | 'given';
  /** The requesting user of a client's write, for admission (RBAC escalation checks); unset for the server's own writes. */
  user?: UserInfo;
  /** Adds a warning to the response of a client's write (admission webhooks' warnings); unset for the server's own writes. */
  warn?: (text: string) => void;
  /** The fieldManager and fieldValidation a client's write gave itself, shown to admission webhooks in its options. */
  sent?: { fieldManager?: string; fieldValidation?: string };
}

type ManagedFieldsLib = typeof import('../../api/managedfields/index.ts');
let managedFieldsLib: ManagedFieldsLib | undefined;

/** The field-ownership library, loaded with the first write (an idle server needs none of it). */
async function loadManagedFields(): Promise<ManagedFieldsLib> {
  managedFieldsLib ??= await import('../../api/managedfields/index.ts');
  return managedFieldsLib;
}

export interface UpdateOptions extends WriteOptions {
  /**
   * 'status' writes only status; 'finalize' only a namespace's spec.finalizers; another
   * name, what the kind's strategy.subresourceWrites says (a pod's 'ephemeralcontainers');
   * undefined writes everything but status (when the kind has a status subresource).
   */
  subresource?: string;
  /** Create the object when absent (server-side apply, kinds that allow create-on-update). */
  allowCreate?: boolean;
  /**
   * A write made through another kind's view of the object (a Scale on
   * `…/scale`): admission sees the view, and field ownership is recorded
   * under the view's subresource; the store writes the object itself.
   */
  view?: AdmissionView;
}

/** How a subresource shows an object as another kind, and takes a change of that kind back. */
export interface AdmissionView {
  readonly subresource: string;
  readonly kind: { readonly group: string; readonly version: string; readonly kind: string };
  /** The object as the view's kind. */
  show(obj: KubeObject): KubeObject;
  /** What a mutating plugin changed in the view, written back to the object (in place). */
  takeBack(view: KubeObject, obj: KubeObject): void;
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type ResourceVersionMatch = 'NotOlderThan' | 'Exact' | undefined;

export interface ListOptions {
  /** Returns true for objects to include (label and field selectors). */
  predicate?: (obj: KubeObject) => boolean;
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
  resourceVersionMatch?: ResourceVersionMatch;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

export interface WatchOptions {
  predicate?: (obj: KubeObject) => boolean;
  /** undefined or "" or "0": start with the current state as ADDED events. */
  resourceVersion?: string;
  /** Send the current state first, then a bookmark marking its end. */
  sendInitialEvents?: boolean;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchSink {
  /**
   * `stored`, when given, is `obj` as stored: its JSON without metadata.resourceVersion
   * (the object was not converted on its way), which a JSON stream may send as it is.
   */
  send(type: WatchEventType, obj: KubeObject, stored?: string): void;
}

/** Kinds whose metadata.generation tracks spec changes (upstream sets it in their strategies). */
export function tracksGeneration(def: ResourceDef): boolean {
  return def.strategy.specFields !== undefined;
}

/** Finalizers the garbage collector acts on. */
const orphanFinalizer = 'orphan';
const foregroundFinalizer = 'foregroundDeletion';

interface ContinueToken { rv: number; start: string }

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'kv1', rv: t.rv, start: t.start })).toString('base64url');
}

function decodeContinue(s: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as { v?: string; rv?: unknown; start?: unknown };
    if (t.v === 'kv1' && typeof t.rv === 'number' && typeof t.start === 'string') return { rv: t.rv, start: t.start };
  } catch { /* fall through */ }
  throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
}

function parseRV(rv: string, what = 'resourceVersion'): number {
  if (!/^\d+$/.test(rv)) {
    throw new ApiError(400, 'BadRequest', `${what}: Invalid value: "${rv}": must be a non-negative integer`);
  }
  return Number(rv);
}

function groupKind(def: ResourceDef) { return { group: def.group, kind: def.kind }; }
function gr(def: ResourceDef) { return { group: def.group, resource: def.plural }; }

export class GenericStore {
  readonly kv: KVStore;
  readonly cache: WatchCache;
  /** Admission plugins every write passes through (added per cluster: RBAC, limits, controllers, webhooks). */
  readonly admission: AdmissionPlugin[] = [];
  constructor(kv: KVStore, cache: WatchCache) {
    this.kv = kv;
    this.cache = cache;
  }

  /** The current object, from the cache, after catching up with storage. */
  async get(def: ResourceDef, namespace: string | undefined, name: string, resourceVersion?: string): Promise<KubeObject> {
    await this.readAt(resourceVersion);
    const c = this.cache.getCached(objectKey(def, namespace, name));
    if (!c) throw errors.notFound(gr(def), name);
    return this.present(def, c.obj);
  }

  /** The cached object or undefined (no copying; do not mutate). */
  peek(def: ResourceDef, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.cache.getCached(objectKey(def, namespace, name))?.obj;
  }

  /** Wait until the cache reflects what a read at `resourceVersion` must see. */
  private async readAt(resourceVersion: string | undefined): Promise<void> {
    if (resourceVersion === '0') return;
    if (resourceVersion === undefined || resourceVersion === '') { await this.cache.sync(); return; }
    const rv = parseRV(resourceVersion);
    if (!(await this.cache.waitForRevision(rv))) {
      throw new ApiError(504, 'Timeout', `Too large resource version: ${rv}, current: ${this.cache.revision}`,
        { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
    }
  }

  /** Objects as clients see them: the cached object with apiVersion/kind of the requested version. */
  private present(def: ResourceDef, obj: KubeObject): KubeObject {
    const apiVersion = apiVersionOf(def);
    if (obj.apiVersion === apiVersion && obj.kind === def.kind) return def.custom?.onRead ? this.readCustom(def, obj) : obj;
    if (def.conversion) return def.conversion.convert(obj, apiVersion);
    return { ...obj, apiVersion, kind: def.kind };
  }

  /** Custom resources as read in their stored version, computed once per stored object. */
  // Keyed by declaration first: a changed CRD brings new declarations (and schemas).
  private readonly readCache = new WeakMap<ResourceDef, WeakMap<KubeObject, KubeObject>>();

  private readCustom(def: ResourceDef, obj: KubeObject): KubeObject {
    let perDef = this.readCache.get(def);
    if (!perDef) this.readCache.set(def, (perDef = new WeakMap()));
    let out = perDef.get(obj);
    if (!out) {
      out = (def.custom?.onRead as (o: KubeObject) => KubeObject)(obj);
      perDef.set(obj, out);
    }
    return out;
  }

  /**
   * The JSON stored for `stored`, which the watch cache then takes as it is rather than
   * parsing the JSON again: `stored` (built here for this write) is the cache's from now on.
   */
  private serialize(key: string, stored: KubeObject, written: KubeObject): string {
    const value = JSON.stringify(stored);
    managedFieldsLib?.carryTypeCheck(written, stored);
    this.cache.adopt(key, value, stored);
    return value;
  }

  /** The form an object of `def`'s version is stored in. */
  private toStorage(def: ResourceDef, obj: KubeObject): KubeObject {
    const c = def.conversion;
    return c && apiVersionOf(def) !== c.storageVersion ? c.convert(obj, c.storageVersion) : obj;
  }

  async list(def: ResourceDef, namespace: string | undefined, opts: ListOptions = {}): Promise<ListResult> {
    const prefix = listPrefix(def, namespace);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const pred = opts.predicate;
    let startKey: string | undefined;
    let atRev: number | undefined;
    if (opts.continueToken) {
      if (opts.resourceVersion) throw errors.badRequest('specifying resource version is not allowed when using continue');
      const t = decodeContinue(opts.continueToken);
      startKey = t.start;
      atRev = t.rv;
    } else if (opts.resourceVersionMatch === 'Exact') {
      if (!opts.resourceVersion || opts.resourceVersion === '0') {
        throw errors.badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
      }
      atRev = parseRV(opts.resourceVersion);
    } else {
      await this.readAt(opts.resourceVersion);
    }
    // A read at a past revision comes from storage; everything else from the cache.
    if (atRev !== undefined && atRev !== this.cache.revision) {
      return this.listFromStorage(def, prefix, atRev, startKey, limit, pred);
    }
    const rev = this.cache.revision;
    const items: KubeObject[] = [];
    let next: string | undefined;
    let remaining = 0;
    for (const c of this.cache.scan(prefix, startKey)) {
      if (pred && !pred(c.obj)) continue;
      if (limit && items.length >= limit) {
        if (next === undefined) next = c.key;
        remaining++;
        continue;
      }
      items.push(def.conversion ? this.present(def, c.obj) : c.obj);
    }
    const res: ListResult = { items, resourceVersion: String(rev) };
    if (next !== undefined) {
      res.continueToken = encodeContinue({ rv: rev, start: next });
      if (!pred) res.remainingItemCount = remaining;
    }
    return res;
  }

  private async listFromStorage(def: ResourceDef, prefix: string, rev: number, startKey: string | undefined,
    limit: number, pred: ((o: KubeObject) => boolean) | undefined): Promise<ListResult> {
    const items: KubeObject[] = [];
    let from = startKey;
    for (;;) {
      let page;
      try {
        page = await this.kv.range(prefix, { startKey: from, revision: rev, limit: limit ? Math.max(limit, 100) : 1000 });
      } catch (e) {
        if (e instanceof CompactedError) {
          throw errors.gone(`The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.`);
        }
        throw e;
      }
      for (let i = 0; i < page.kvs.length; i++) {
        const kv = page.kvs[i];
        const obj = JSON.parse(kv.value) as KubeObject;
        obj.metadata.resourceVersion = String(kv.modRevision);
        if (pred && !pred(obj)) continue;
        if (limit && items.length >= limit) {
          return { items, resourceVersion: String(rev), continueToken: encodeContinue({ rv: rev, start: kv.key }) };
        }
        items.push(def.conversion ? this.present(def, obj) : obj);
      }
      if (!page.more || page.kvs.length === 0) break;
      from = page.kvs[page.kvs.length - 1].key + '\x00';
    }
    return { items, resourceVersion: String(rev) };
  }

  /** A complete list object as the API returns it. */
  toList(def: ResourceDef, res: ListResult): KubeList {
    const meta: KubeList['metadata'] = { resourceVersion: res.resourceVersion };
    if (res.continueToken) meta.continue = res.continueToken;
    if (res.remainingItemCount !== undefined) meta.remainingItemCount = res.remainingItemCount;
    // Built-in list items carry no apiVersion/kind of their own; custom resources' do.
    const items = def.custom ? res.items : res.items.map((o) => {
      const { apiVersion: _a, kind: _k, ...rest } = o;
      return rest as KubeObject;
    });
    return { kind: def.listKind, apiVersion: apiVersionOf(def), metadata: meta, items };
  }

  // ---- writes -------------------------------------------------------------

  async create(def: ResourceDef, namespace: string | undefined, input: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    await def.loadBehaviour?.();
    await loadManagedFields();
    const obj = cloneObject(input);
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    const meta = obj.metadata;
    if (meta.resourceVersion) {
      throw errors.badRequest('resourceVersion should not be set on objects to be created');
    }
    if (def.scope === 'Namespaced') meta.namespace = namespace;
    else delete meta.namespace;
    meta.uid = newUid();
    meta.creationTimestamp = nowTimestamp();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.selfLink;
    if (tracksGeneration(def)) meta.generation = 1; else delete meta.generation;
    // Status belongs to the status subresource; nodes are the exception (their agent creates them with status).
    const hasStatusSub = def.subresources?.some((s) => s.name === 'status') ?? false;
    if (hasStatusSub && !(def.group === '' && def.plural === 'nodes')) delete obj.status;
    // The name is chosen before defaulting, as upstream does: some defaults use it.
    const generated = !meta.name && !!meta.generateName;
    if (generated) meta.name = generateName(meta.generateName as string);
    def.strategy.prepareForCreate?.(obj);
    def.strategy.defaults?.(obj);
    this.recordFields(def, undefined, obj, opts, undefined);
    dropEmptyMetadata(obj);

    await this.admit('create', def, namespace, obj, undefined, opts.user, opts.dryRun === true);
    try {
      // Mutating webhooks change obj in place; createAdmitted validates what they leave.
      const req = this.request('CREATE', def, namespace, generated ? '' : meta.name as string, undefined, obj, undefined, opts);
      if (req) await this.mutatePhase(req);
      const out = await this.createAdmitted(def, namespace, obj, generated, opts, req);
      // A dry run stores nothing: what admission reserved for it is given back.
      if (opts.dryRun) this.aborted('create', def, obj);
      return out;
    } catch (e) {
      this.aborted('create', def, obj);
      throw e;
    }
  }

  private async createAdmitted(def: ResourceDef, namespace: string | undefined, obj: KubeObject, generated: boolean, opts: WriteOptions,
    req: AdmissionRequest | undefined): Promise<KubeObject> {
    const meta = obj.metadata;
    for (let attempt = 0; ; attempt++) {
      if (generated && attempt > 0) meta.name = generateName(meta.generateName as string);
      this.validateOrThrow(def, obj, [...(def.strategy.validate?.(obj) ?? []), ...(def.strategy.validateCreate?.(obj) ?? [])]);
      if (req) await this.validatePhase(req);
      const key = objectKey(def, namespace, meta.name as string);
      if (opts.dryRun) {
        if (this.cache.getCached(key)) throw errors.alreadyExists(gr(def), meta.name as string);
        return this.present(def, obj);
      }
      const res = await this.kv.create(key, this.serialize(key, this.toStorage(def, obj), obj));
      if (res.succeeded) {
        await this.cache.waitForRevision(res.revision);
        return this.present(def, this.cache.getCached(key)?.obj ?? withRV(obj, res.revision));
      }
      if (!generated || attempt >= 4) throw errors.alreadyExists(gr(def), meta.name as string);
    }
  }

  private async admit(op: AdmissionOperation, def: ResourceDef, namespace: string | undefined, obj: KubeObject, old: KubeObject | undefined, user: UserInfo | undefined, dryRun: boolean): Promise<void> {
    for (const p of this.admission) await p.admit?.(op, def, namespace, obj, old, user, dryRun);
  }

  /**
   * The write as the mutating and validating phases see it; undefined when no
   * plugin has those phases (nothing to describe).
   */
  private request(operation: AdmissionRequest['operation'], def: ResourceDef, namespace: string | undefined, name: string,
    subresource: string | undefined, object: KubeObject | undefined, oldObject: KubeObject | undefined,
    opts: WriteOptions & DeleteOptions, kind?: AdmissionRequest['kind']): AdmissionRequest | undefined {
    if (!this.admission.some((p) => p.mutate !== undefined || p.validate !== undefined)) return undefined;
    return {
      operation, def, ...(kind ? { kind } : {}), namespace: def.scope === 'Namespaced' ? namespace : undefined, name, subresource, object, oldObject,
      user: opts.user, dryRun: opts.dryRun === true, options: operationOptions(operation, opts), warn: opts.warn ?? (() => {}),
    };
  }

  /** Every plugin's mutate, in order, then (when one changed the object) every plugin's reinvoke; true when one changed it. */
  private async mutatePhase(req: AdmissionRequest): Promise<boolean> {
    let changed = false;
    for (const p of this.admission) {
      if (!p.mutate) continue;
      const r = p.mutate(req);
      if (typeof r === 'boolean' ? r : await r) changed = true;
    }
    if (!changed) return false;
    for (const p of this.admission) {
      if (!p.reinvoke) continue;
      const r = p.reinvoke(req);
      if (typeof r !== 'boolean') await r;
    }
    return true;
  }

  /** Every plugin's validate, in order. */
  private async validatePhase(req: AdmissionRequest): Promise<void> {
    for (const p of this.admission) {
      if (!p.validate) continue;
      const r = p.validate(req);
      if (r) await r;
    }
  }

  /**
   * A request the store does not write itself through every plugin's mutate,
   * then every validate: a CONNECT (exec, attach, port-forward, proxy) before
   * it connects, or a CREATE on a subresource served apart (a pod's binding or
   * eviction, a service account's token) before it is carried out. True when
   * a plugin changed `req.object` (what the request goes on with).
   */
  async admitOperation(req: AdmissionRequest): Promise<boolean> {
    const changed = await this.mutatePhase(req);
    await this.validatePhase(req);
    return changed;
  }

  private aborted(op: AdmissionOperation, def: ResourceDef, obj: KubeObject): void {
    for (const p of this.admission) {
      try { p.aborted?.(op, def, obj); } catch { /* best effort */ }
    }
  }

  private deleted(def: ResourceDef, obj: KubeObject): void {
    for (const p of this.admission) {
      try { p.deleted?.(def, obj); } catch (e) { console.error(`kubevisor: admission ${p.name} after delete: ${(e as Error).message}`); }
    }
  }

  private validateOrThrow(def: ResourceDef, obj: KubeObject, errs: FieldError[]): void {
    if (errs.length > 0) throw errors.invalid(groupKind(def), obj.metadata?.name ?? '', errs);
  }

  /**
   * Replace an object (PUT, and the final step of every patch). `input` is the
   * complete new object; its resourceVersion, when set, must match.
   */
  async update(def: ResourceDef, namespace: string | undefined, name: string, input: KubeObject,
    opts: UpdateOptions = {}): Promise<{ obj: KubeObject; created: boolean }> {
    return this.replace(def, namespace, name, input, opts, false);
  }

  /** update(); `owned`: `input` is a private copy no one else holds, kept as it is rather than copied. */
  private async replace(def: ResourceDef, namespace: string | undefined, name: string, input: KubeObject,
    opts: UpdateOptions, owned: boolean): Promise<{ obj: KubeObject; created: boolean }> {
    await def.loadBehaviour?.();
    const mf = await loadManagedFields();
    const key = objectKey(def, namespace, name);
    await this.cache.sync();
    const current = this.cache.getCached(key);
    const inMeta = input.metadata;
    if (inMeta.name !== undefined && inMeta.name !== name) {
      throw errors.badRequest(`the name of the object (${inMeta.name}) does not match the name on the URL (${name})`);
    }
    if (!current) {
      if (!opts.allowCreate || opts.subresource) throw errors.notFound(gr(def), name);
      const { resourceVersion: _rv, ...m } = inMeta;
      return { obj: await this.create(def, namespace, { ...input, metadata: { ...m, name } }, opts), created: true };
    }
    if (inMeta.resourceVersion && inMeta.resourceVersion !== current.obj.metadata.resourceVersion) {
      throw errors.conflict(gr(def), name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const old = this.present(def, current.obj);
    let prepared = this.prepareUpdate(def, namespace, owned ? input : cloneObject(input), old, opts);
    const view = opts.view;
    // Built-in plugins see writes of the object itself; subresources and views go to webhooks and policies only.
    const whole = !opts.subresource && !view;
    if (whole) await this.admit('update', def, namespace, prepared, old, opts.user, opts.dryRun === true);
    const req = view
      ? this.request('UPDATE', def, namespace, name, view.subresource, view.show(prepared), view.show(old), opts, view.kind)
      : this.request('UPDATE', def, namespace, name, opts.subresource, prepared, old, opts);
    if (req) {
      try {
        if (await this.mutatePhase(req)) {
          // What mutating webhooks changed is validated again; a subresource keeps only its own part of it.
          if (view) {
            view.takeBack(req.object as KubeObject, prepared);
            prepared = this.prepareUpdate(def, namespace, prepared, old, opts);
          } else if (opts.subresource) {
            prepared = this.prepareUpdate(def, namespace, prepared, old, opts);
          } else {
            if (tracksGeneration(def)) prepared.metadata.generation = (old.metadata.generation ?? 1) + (specChanged(prepared, old) ? 1 : 0);
            this.validateUpdate(def, prepared, old, opts);
          }
        }
        await this.validatePhase(view ? { ...req, object: view.show(prepared) } : prepared === req.object ? req : { ...req, object: prepared });
      } catch (e) {
        if (whole) this.aborted('update', def, prepared);
        throw e;
      }
    }
    // A write that changes nothing leaves managedFields' times alone too.
    const obj = mf.revertNoopTimestamps(old, prepared);
    if (jsonEqual(stripRV(obj), stripRV(old))) {
      return { obj: old, created: false }; // no-op writes do not bump the revision
    }
    if (opts.dryRun) {
      if (whole) this.aborted('update', def, obj);
      return { obj: this.present(def, obj), created: false };
    }
    // An object being deleted whose last finalizer was removed goes away now.
    // An object being deleted goes away on update only once it has no finalizers and
    // no grace period left (a pod in its grace period keeps taking status writes).
    if (obj.metadata.deletionTimestamp && !(obj.metadata.finalizers?.length) && !obj.metadata.deletionGracePeriodSeconds &&
      !def.strategy.holdForDeletion?.(cloneObject(obj))) {
      const del = await this.kv.delete(key, current.modRevision);
      if (!del.succeeded) throw errors.conflict(gr(def), name, 'the object has been modified; please apply your changes to the latest version and try again');
      await this.cache.waitForRevision(del.revision);
      this.deleted(def, current.obj);
      return { obj: this.present(def, withRV(obj, del.revision)), created: false };
    }
    const res = await this.kv.update(key, this.serialize(key, stripRV(this.toStorage(def, obj)), obj), current.modRevision);
    if (!res.succeeded) {
      if (whole) this.aborted('update', def, obj);
      throw errors.conflict(gr(def), name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    await this.cache.waitForRevision(res.revision);
    return { obj: this.present(def, this.cache.getCached(key)?.obj ?? withRV(obj, res.revision)), created: false };
  }

  /**
   * Field ownership for a write made below the store (a pod's binding carrying its first
   * status): `obj`, about to replace `live`, gets `fieldManager`'s share recorded as an
   * Update of `subresource`, as the store records its own writes.
   */
  async recordOwnership(def: ResourceDef, live: KubeObject, obj: KubeObject, fieldManager: string, subresource?: string): Promise<void> {
    await loadManagedFields();
    this.recordFields(def, live, obj, { fieldManager }, subresource);
  }

  /** Record this write's field ownership in obj.metadata.managedFields (as an Update). */
  private recordFields(def: ResourceDef, live: KubeObject | undefined, obj: KubeObject, opts: WriteOptions, subresource: string | undefined): void {
    const lib = managedFieldsLib;
    const schema = def.schema?.();
    if (!lib || !schema || opts.managedFields === 'given') return;
    const hasStatusSub = def.subresources?.some((s) => s.name === 'status') ?? false;
    const declared = subresource === undefined ? undefined : def.strategy.subresourceWrites?.[subresource]?.resetPaths;
    const reset = declared ? lib.resetFields(...declared) : subresource === 'status' ? lib.specResetFields : hasStatusSub ? lib.statusResetFields : undefined;
    const managed = lib.recordUpdate({
      live, object: obj, manager: opts.fieldManager ?? 'kubevisor', apiVersion: apiVersionOf(def), subresource,
      schema, resetFields: reset, now: new Date(), custom: def.custom !== undefined,
    });
    if (managed === undefined) delete obj.metadata.managedFields;
    else obj.metadata.managedFields = managed;
  }

  /** Merge server-owned fields of `old` into `obj` and validate the transition. */
  private prepareUpdate(def: ResourceDef, namespace: string | undefined, obj: KubeObject, old: KubeObject, opts: UpdateOptions): KubeObject {
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    const hasStatusSub = def.subresources?.some((s) => s.name === 'status') ?? false;
    const write = opts.subresource === undefined ? undefined : def.strategy.subresourceWrites?.[opts.subresource];
    if (opts.subresource !== undefined && opts.subresource !== 'status' && opts.subresource !== 'finalize' && !write) {
      throw errors.internal(`the ${opts.subresource} subresource of ${def.plural} is not served by the store`);
    }
    // Server-side apply worked out the write's field ownership: a subresource keeps it, not the stored object's.
    const givenManagedFields = opts.managedFields === 'given' ? obj.metadata?.managedFields : undefined;
    if (write) {
      // The kind's strategy keeps what this subresource may change; the rest is the stored object's.
      const next = write.prepare(obj, old);
      if (obj.metadata?.resourceVersion) next.metadata.resourceVersion = obj.metadata.resourceVersion;
      obj = next;
    } else if (opts.subresource === 'finalize') {
      // A namespace's finalize subresource changes spec.finalizers only.
      const next = cloneObject(old);
      const fin = (obj.spec as { finalizers?: unknown } | undefined)?.finalizers;
      next.spec = { ...(next.spec as object ?? {}), finalizers: fin };
      if (fin === undefined) delete (next.spec as { finalizers?: unknown }).finalizers;
      if (obj.metadata.resourceVersion) next.metadata.resourceVersion = obj.metadata.resourceVersion;
      obj = next;
    } else if (opts.subresource === 'status') {
      // The status subresource changes status only (and nothing of metadata but what upstream allows).
      // The rest is the stored object's own (immutable) parts, shared: nothing below writes to them,
      // and field ownership sees at once that they did not change.
      const next = { ...old, metadata: cloneObject(old.metadata), status: obj.status } as KubeObject;
      if (FREEZE_SHARED) for (const [k, v] of Object.entries(next)) if (k !== 'metadata' && k !== 'status') deepFreezeDebug(v);
      if (obj.metadata.resourceVersion) next.metadata.resourceVersion = obj.metadata.resourceVersion;
      obj = next;
    } else if (hasStatusSub) {
      if (old.status === undefined) delete obj.status; else obj.status = cloneObject(old.status);
    }
    const meta = obj.metadata ?? (obj.metadata = {});
    if (givenManagedFields !== undefined) meta.managedFields = givenManagedFields;
    const om = old.metadata;
    meta.name = om.name;
    if (def.scope === 'Namespaced') {
      if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
        throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = om.namespace;
    }
    if (meta.uid !== undefined && meta.uid !== '' && meta.uid !== om.uid) {
      throw errors.invalid(groupKind(def), om.name ?? '', [{ type: 'FieldValueInvalid', field: 'metadata.uid', value: meta.uid, detail: 'field is immutable' }]);
    }
    meta.uid = om.uid;
    meta.creationTimestamp = om.creationTimestamp;
    if (om.deletionTimestamp) {
      meta.deletionTimestamp = om.deletionTimestamp;
      if (om.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds;
      // While deleting, no new finalizers may be added.
      const added = (meta.finalizers ?? []).filter((f) => !(om.finalizers ?? []).includes(f));
      if (added.length > 0) {
        throw errors.invalid(groupKind(def), om.name ?? '', [{ type: 'FieldValueForbidden', field: 'metadata.finalizers', detail: `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}` }]);
      }
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    delete meta.selfLink;
    if (tracksGeneration(def)) {
      meta.generation = (om.generation ?? 1) + ((opts.subresource === undefined || write) && specChanged(obj, old) ? 1 : 0);
    } else if (om.generation !== undefined) {
      meta.generation = om.generation;
    } else {
      delete meta.generation;
    }
    if (opts.subresource === undefined) {
      def.strategy.prepareForUpdate?.(obj, old);
      def.strategy.defaults?.(obj);
    }
    this.recordFields(def, old, obj, opts, opts.view?.subresource ?? opts.subresource);
    dropEmptyMetadata(obj);
    this.validateUpdate(def, obj, old, opts);
    return obj;
  }

  /** The kind's rules for an update (of the subresource written). */
  private validateUpdate(def: ResourceDef, obj: KubeObject, old: KubeObject, opts: UpdateOptions): void {
    const st = def.strategy;
    const write = opts.subresource === undefined ? undefined : st.subresourceWrites?.[opts.subresource];
    const errs = write ? write.validate(obj, old)
      : opts.subresource === 'status' && st.validateStatusUpdate
        ? st.validateStatusUpdate(obj, old)
        : [...(st.validate?.(obj) ?? []), ...(st.validateUpdate?.(obj, old) ?? [])];
    this.validateOrThrow(def, obj, errs);
  }

  /**
   * A private copy of a stored object for a read-modify-write. For the status
   * subresource, which writes nothing but status, only metadata and status are
   * copied: the rest stays the stored object's (immutable) parts.
   */
  private mutable(def: ResourceDef, obj: KubeObject, subresource: string | undefined): KubeObject {
    const shown = this.present(def, obj);
    if (subresource !== 'status') return cloneObject(shown);
    const out = { ...shown, metadata: cloneObject(shown.metadata) } as KubeObject;
    if (shown.status !== undefined) out.status = cloneObject(shown.status);
    if (FREEZE_SHARED) for (const [k, v] of Object.entries(out)) if (k !== 'metadata' && k !== 'status') deepFreezeDebug(v);
    return out;
  }

  /**
   * Read-modify-write with retries on conflict: `mutate` gets a private copy of
   * the current object and returns the new one. Used by patch and by controllers.
   */
  async guaranteedUpdate(def: ResourceDef, namespace: string | undefined, name: string,
    mutate: (current: KubeObject | undefined) => KubeObject | Promise<KubeObject>,
    opts: UpdateOptions & { preconditionRV?: string } = {}): Promise<{ obj: KubeObject; created: boolean }> {
    for (let attempt = 0; ; attempt++) {
      await this.cache.sync();
      const cur = this.cache.getCached(objectKey(def, namespace, name));
      if (!cur && !opts.allowCreate) throw errors.notFound(gr(def), name);
      const copy = cur ? this.mutable(def, cur.obj, opts.subresource) : undefined;
      const next = await mutate(copy);
      // Pin the write to what mutate saw, unless the caller demanded a specific version.
      const explicit = next.metadata?.resourceVersion && cur && next.metadata.resourceVersion !== cur.obj.metadata.resourceVersion;
      if (cur && !explicit) next.metadata = { ...next.metadata, resourceVersion: cur.obj.metadata.resourceVersion };
      try {
        // The copy mutate changed and gave back is the store's own: it is not copied again.
        return await this.replace(def, namespace, name, next, opts, next === copy);
      } catch (e) {
        if (e instanceof ApiError && e.code === 409 && e.reason === 'Conflict' && !explicit && attempt < 8) continue;
        throw e;
      }
    }
  }

  async delete(def: ResourceDef, namespace: string | undefined, name: string,
    opts: DeleteOptions = {}): Promise<{ obj: KubeObject; deleted: boolean }> {
    const key = objectKey(def, namespace, name);
    for (let attempt = 0; ; attempt++) {
      await this.cache.sync();
      const cur = this.cache.getCached(key);
      if (!cur) throw errors.notFound(gr(def), name);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== cur.obj.metadata.uid) {
        throw errors.conflict(gr(def), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.obj.metadata.uid ?? ''}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== cur.obj.metadata.resourceVersion) {
        throw errors.conflict(gr(def), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.obj.metadata.resourceVersion ?? ''}`);
      }
      // Admission sees a delete with the object as it is (upstream's delete validation, run on every try).
      const req = this.request('DELETE', def, namespace, name, undefined, undefined, this.present(def, cur.obj), opts);
      if (req) {
        await this.mutatePhase(req);
        await this.validatePhase(req);
      }
      const plan = this.deletionPlan(def, cur, opts);
      if (opts.dryRun) return { obj: this.present(def, plan.obj ?? cur.obj), deleted: plan.obj === undefined };
      if (plan.obj === undefined) {
        const res = await this.kv.delete(key, cur.modRevision);
        if (!res.succeeded) { if (attempt < 8) continue; throw errors.conflict(gr(def), name, 'the object has been modified'); }
        await this.cache.waitForRevision(res.revision);
        this.deleted(def, cur.obj);
        return { obj: this.present(def, withRV(cur.obj, res.revision)), deleted: true };
      }
      if (plan.obj === cur.obj) return { obj: this.present(def, cur.obj), deleted: false };
      const res = await this.kv.update(key, JSON.stringify(stripRV(plan.obj)), cur.modRevision);
      if (!res.succeeded) { if (attempt < 8) continue; throw errors.conflict(gr(def), name, 'the object has been modified'); }
      await this.cache.waitForRevision(res.revision);
      return { obj: this.present(def, this.cache.getCached(key)?.obj ?? withRV(plan.obj, res.revision)), deleted: false };
    }
  }

  /**
   * What a delete does to the current object: remove it now (obj undefined),
   * leave it as is (already terminating), or mark it terminating.
   */
  private deletionPlan(def: ResourceDef, cur: CachedObject, opts: DeleteOptions): { obj: KubeObject | undefined } {
    const meta = cur.obj.metadata;
    const next = cloneObject(cur.obj);
    // The kind may keep the object, terminating, and may add finalizers of its own (CRDs, namespaces).
    const held = def.strategy.holdForDeletion?.(next) ?? false;
    const finalizers = [...(next.metadata.finalizers ?? [])];
    const policy = opts.propagationPolicy;
    // As upstream: the finalizer is added whatever the dependents; the garbage collector
    // deletes or orphans them and then removes it.
    if (policy === 'Foreground' || policy === 'Orphan') {
      const want = policy === 'Foreground' ? foregroundFinalizer : orphanFinalizer;
      const drop = policy === 'Foreground' ? orphanFinalizer : foregroundFinalizer;
      const i = finalizers.indexOf(drop);
      if (i >= 0) finalizers.splice(i, 1);
      if (!finalizers.includes(want)) finalizers.push(want);
    }
    const grace = this.gracePeriod(def, cur.obj, opts);
    if (finalizers.length === 0 && grace === 0 && !held) return { obj: undefined };
    if (meta.deletionTimestamp && jsonEqual(finalizers, meta.finalizers ?? [])) {
      // Already terminating: a shorter grace period may still be requested.
      if (grace === 0 || meta.deletionGracePeriodSeconds === undefined || grace >= meta.deletionGracePeriodSeconds) {
        return { obj: cur.obj };
      }
    }
    const now = new Date();
    if (finalizers.length > 0) next.metadata.finalizers = finalizers;
    else delete next.metadata.finalizers;
    if (!meta.deletionTimestamp || grace < (meta.deletionGracePeriodSeconds ?? Infinity)) {
      next.metadata.deletionTimestamp = nowTimestamp(new Date(now.getTime() + grace * 1000));
      next.metadata.deletionGracePeriodSeconds = grace;
    }
    if (tracksGeneration(def)) next.metadata.generation = (meta.generation ?? 1) + 1;
    return { obj: next };
  }

  /** Graceful deletion applies to pods bound to a node (the kubelet finishes it). */
  private gracePeriod(def: ResourceDef, obj: KubeObject, opts: DeleteOptions): number {
    if (def.group !== '' || def.plural !== 'pods') return 0;
    const spec = obj.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
    if (!spec?.nodeName) return 0;
    const status = obj.status as { phase?: string } | undefined;
    if (status?.phase === 'Succeeded' || status?.phase === 'Failed') return 0;
    const g = opts.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, g);
  }

  async deleteCollection(def: ResourceDef, namespace: string | undefined, listOpts: ListOptions, opts: DeleteOptions): Promise<KubeObject[]> {
    const { items } = await this.list(def, namespace, { predicate: listOpts.predicate, resourceVersion: listOpts.resourceVersion });
    const out: KubeObject[] = [];
    for (const item of items) {
      try {
        const r = await this.delete(def, item.metadata.namespace, item.metadata.name as string, opts);
        out.push(r.obj);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
    return out;
  }

  // ---- watch ----------------------------------------------------------------

  /**
   * Stream events for `def` in `namespace` (all namespaces when empty) to `sink`,
   * from the cache. Returns a function that stops the watch.
   */
  async watch(def: ResourceDef, namespace: string | undefined, opts: WatchOptions, sink: WatchSink): Promise<() => void> {
    const prefix = listPrefix(def, namespace);
    const pred = opts.predicate;
    const rv = opts.resourceVersion;
    const initial = rv === undefined || rv === '' || rv === '0' || opts.sendInitialEvents === true;
    if (rv === undefined || rv === '') await this.cache.sync();
    let backlog: CacheEvent[] = [];
    let start = this.cache.revision;
    if (!initial || (opts.sendInitialEvents && rv && rv !== '0')) {
      const from = parseRV(rv as string);
      if (!opts.sendInitialEvents) {
        if (from > this.cache.revision && !(await this.cache.waitForRevision(from))) {
          throw new ApiError(504, 'Timeout', `Too large resource version: ${from}, current: ${this.cache.revision}`);
        }
        try {
          backlog = this.cache.eventsSince(prefix, from);
        } catch (e) {
          if (e instanceof CompactedError) throw errors.gone(`too old resource version: ${from} (${this.cache.oldestRevision + 1})`);
          throw e;
        }
      } else {
        await this.readAt(rv);
        start = this.cache.revision;
      }
    }
    // Everything below runs synchronously, so no event slips between the snapshot and the subscription.
    // The stored text goes along when the object is shown as stored (no conversion).
    const send = (type: WatchEventType, obj: KubeObject, text: string | undefined) => {
      const shown = this.present(def, obj);
      sink.send(type, shown, shown === obj ? text : undefined);
    };
    const emit = (ev: CacheEvent) => {
      const now = !pred || pred(ev.obj);
      const before = ev.prev !== undefined && (!pred || pred(ev.prev));
      if (ev.type === 'DELETED') { if (before || (!ev.prev && now)) send('DELETED', ev.obj, ev.text); return; }
      if (now && before) send('MODIFIED', ev.obj, ev.text);
      else if (now) send('ADDED', ev.obj, ev.text);
      else if (before) send('DELETED', ev.obj, ev.text);
    };
    if (initial) {
      for (const c of this.cache.scan(prefix)) if (!pred || pred(c.obj)) send('ADDED', c.obj, c.entry?.revision === c.modRevision ? c.entry.text : undefined);
      if (opts.sendInitialEvents) {
        sink.send('BOOKMARK', this.bookmark(def, start, true));
      }
    } else {
      for (const ev of backlog) emit(ev);
    }
    return this.cache.subscribe({ prefix, onEvent: emit });
  }

  /** A bookmark object: only kind, apiVersion and resourceVersion (and the initial-events-end mark). */
  bookmark(def: ResourceDef, rev: number, initialEventsEnd = false): KubeObject {
    const metadata: KubeObject['metadata'] = { resourceVersion: String(rev) };
    if (initialEventsEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
    return { apiVersion: apiVersionOf(def), kind: def.kind, metadata };
  }

  /** Count objects of a resource (all namespaces). */
  count(def: ResourceDef): number {
    return this.cache.count(resourcePrefix(def));
  }
}

/** The options of a write as admission webhooks are shown them: a CreateOptions, UpdateOptions or DeleteOptions (meta.k8s.io/v1). */
function operationOptions(operation: AdmissionRequest['operation'], opts: WriteOptions & DeleteOptions): Record<string, unknown> {
  const kind = operation === 'CREATE' ? 'CreateOptions' : operation === 'UPDATE' ? 'UpdateOptions' : 'DeleteOptions';
  const out: Record<string, unknown> = { kind, apiVersion: 'meta.k8s.io/v1' };
  if (operation === 'DELETE') {
    if (opts.gracePeriodSeconds !== undefined) out.gracePeriodSeconds = opts.gracePeriodSeconds;
    const pre = opts.preconditions;
    if (pre && (pre.uid !== undefined || pre.resourceVersion !== undefined)) out.preconditions = { ...pre };
    if (opts.propagationPolicy !== undefined) out.propagationPolicy = opts.propagationPolicy;
    if (opts.dryRun) out.dryRun = ['All'];
    return out;
  }
  if (opts.dryRun) out.dryRun = ['All'];
  if (opts.sent?.fieldManager) out.fieldManager = opts.sent.fieldManager;
  if (opts.sent?.fieldValidation) out.fieldValidation = opts.sent.fieldValidation;
  return out;
}

function withRV(obj: KubeObject, rev: number): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rev) } };
}

function stripRV(obj: KubeObject): KubeObject {
  if (obj.metadata?.resourceVersion === undefined) return obj;
  const { resourceVersion: _rv, ...meta } = obj.metadata;
  return { ...obj, metadata: meta };
}

/**
 * KUBEVISOR_FREEZE_SHARED=1 (a debugging aid): freeze the stored object's parts that status writes
 * share instead of copying, so that a writer touching them fails loudly instead of changing the cache.
 */
const FREEZE_SHARED = process.env.KUBEVISOR_FREEZE_SHARED !== undefined && process.env.KUBEVISOR_FREEZE_SHARED !== '';

function deepFreezeDebug(v: unknown): void {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreezeDebug(x);
  }
}
