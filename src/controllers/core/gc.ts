// The garbage collector: the ownerReferences graph of every object in the
// cluster, kept from watch-cache events, and the three deletion policies that
// act on it.
//
// - Background: once an owner is gone, a dependent whose every owner is gone
//   (dangling) is deleted; one that still has a live owner loses the dangling
//   references instead.
// - Foreground: an owner being deleted with the `foregroundDeletion` finalizer
//   has its dependents deleted (dependents that have dependents of their own are
//   deleted in the foreground too); once no dependent with blockOwnerDeletion is
//   left, the finalizer is removed and the owner goes.
// - Orphan: an owner being deleted with the `orphan` finalizer has its
//   references removed from its dependents, then the finalizer removed.
//
// The graph is indexed by uid (node per object, dependents per owner uid) and
// updated per event; nothing rescans the cluster after start-up.

import type { KubeObject, OwnerReference } from '../../api/types.ts';
import type { CacheEvent } from '../../registry/generic/watch-cache.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { ControllerContext } from '../context.ts';
import { Controller, type Result } from '../runtime.ts';
import { controllerManager, hasFinalizer, ignoreNotFound, isConflict, rec, str } from './util.ts';

export const foregroundFinalizer = 'foregroundDeletion';
export const orphanFinalizer = 'orphan';

/** Events are never owners or dependents the collector acts on (upstream ignores them too). */
const ignoredPrefixes = ['/registry/core/events/', '/registry/events.k8s.io/events/'];

interface GraphNode {
  uid: string;
  /** Where the object lives in the store (and the watch cache). */
  key: string;
  apiVersion: string;
  kind: string;
  namespace: string | undefined;
  name: string;
  owners: OwnerReference[];
  beingDeleted: boolean;
  deletingDependents: boolean;
}

/** `/registry/<group>/<resource>/` of a key. */
function prefixOfKey(key: string): string {
  let slashes = 0;
  for (let i = 0; i < key.length; i++) {
    if (key.charCodeAt(i) === 47 && ++slashes === 4) return key.slice(0, i + 1);
  }
  return key;
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

function versionOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? apiVersion : apiVersion.slice(i + 1);
}

function deletingDependents(obj: KubeObject): boolean {
  return !!obj.metadata.deletionTimestamp && hasFinalizer(obj, foregroundFinalizer);
}

/** Deletion started (or the finalizer arrived) with this event. */
function deletionStartsWith(prev: KubeObject | undefined, obj: KubeObject, finalizer: string): boolean {
  if (!obj.metadata.deletionTimestamp || !hasFinalizer(obj, finalizer)) return false;
  return !prev || !prev.metadata.deletionTimestamp || !hasFinalizer(prev, finalizer);
}

function refsEqual(a: OwnerReference, b: OwnerReference): boolean {
  return a.apiVersion === b.apiVersion && a.kind === b.kind && a.name === b.name && a.uid === b.uid &&
    (a.controller ?? undefined) === (b.controller ?? undefined) && (a.blockOwnerDeletion ?? undefined) === (b.blockOwnerDeletion ?? undefined);
}

/** A handle on the running collector: stop it, or ask the graph about an object. */
export interface GarbageCollector {
  (): void;
  stop(): void;
  /** Whether any object names `uid` among its owners (what a Foreground/Orphan delete needs to know). */
  hasDependents(uid: string): boolean;
  /** The uids of the objects that name `uid` among their owners. */
  dependentsOf(uid: string): string[];
}

export function startGarbageCollector(ctx: ControllerContext): GarbageCollector {
  const { vc } = ctx;
  const nodes = new Map<string, GraphNode>();
  const dependents = new Map<string, Set<string>>();
  /** Unresolvable owner kinds are retried with a growing delay (quietly: a CRD may still come). */
  const unresolved = new Map<string, number>();

  // ---- declarations -------------------------------------------------------

  let defsFor: readonly ResourceDef[] | undefined;
  let byPrefix = new Map<string, ResourceDef>();
  function prefixDefs(): Map<string, ResourceDef> {
    if (defsFor !== vc.registry.resources) {
      defsFor = vc.registry.resources;
      byPrefix = new Map();
      for (const d of defsFor) {
        if (d.virtual || !d.verbs.includes('delete')) continue;
        const p = resourcePrefix(d);
        if (!byPrefix.has(p)) byPrefix.set(p, d);
      }
    }
    return byPrefix;
  }

  /** The declaration to read and write the object stored under `key` with. */
  function defOfNode(n: GraphNode): ResourceDef | undefined {
    const byKind = vc.registry.byGroupVersionKind(groupOf(n.apiVersion), versionOf(n.apiVersion), n.kind);
    if (byKind && resourcePrefix(byKind) === prefixOfKey(n.key)) return byKind;
    return prefixDefs().get(prefixOfKey(n.key));
  }

  /** The declaration an owner reference names (any served version of its group and kind will do). */
  function defOfRef(ref: OwnerReference): ResourceDef | undefined {
    const group = groupOf(ref.apiVersion);
    const exact = vc.registry.byGroupVersionKind(group, versionOf(ref.apiVersion), ref.kind);
    if (exact && !exact.virtual) return exact;
    return vc.registry.resources.find((d) => d.group === group && d.kind === ref.kind && !d.virtual);
  }

  // ---- queues ----------------------------------------------------------------

  const attemptToDelete = new Controller('garbagecollector', (uid) => attemptToDeleteItem(uid));
  const attemptToOrphan = new Controller('garbagecollector-orphan', (uid) => orphanDependents(uid));

  // ---- the graph ---------------------------------------------------------------

  function nodeOf(key: string, obj: KubeObject): GraphNode {
    return {
      uid: obj.metadata.uid as string,
      key,
      apiVersion: obj.apiVersion ?? '',
      kind: obj.kind ?? '',
      namespace: obj.metadata.namespace || undefined,
      name: obj.metadata.name ?? '',
      owners: [...(obj.metadata.ownerReferences ?? [])],
      beingDeleted: !!obj.metadata.deletionTimestamp,
      deletingDependents: deletingDependents(obj),
    };
  }

  function linkOwners(n: GraphNode, refs: readonly OwnerReference[], verify: boolean): void {
    let suspicious = false;
    for (const ref of refs) {
      let set = dependents.get(ref.uid);
      if (!set) dependents.set(ref.uid, (set = new Set()));
      set.add(n.uid);
      if (!verify) continue;
      const owner = nodes.get(ref.uid);
      if (!owner) {
        // No object has that uid: the owner is gone (or was never there). Look closer.
        suspicious = true;
      } else if (owner.namespace !== undefined && owner.namespace !== n.namespace) {
        reportInvalidNamespace(n, ref);
        suspicious = true;
      } else if (owner.kind !== ref.kind || owner.name !== ref.name || groupOf(owner.apiVersion) !== groupOf(ref.apiVersion)) {
        suspicious = true;
      }
    }
    if (suspicious) attemptToDelete.enqueue(n.uid);
  }

  function unlinkOwners(n: GraphNode, refs: readonly OwnerReference[]): void {
    for (const ref of refs) {
      const set = dependents.get(ref.uid);
      if (!set) continue;
      set.delete(n.uid);
      if (set.size === 0) dependents.delete(ref.uid);
    }
  }

  function reportInvalidNamespace(n: GraphNode, ref: OwnerReference): void {
    const involved: KubeObject = { apiVersion: n.apiVersion, kind: n.kind, metadata: { name: n.name, namespace: n.namespace, uid: n.uid } };
    const coords = `[${ref.apiVersion}/${ref.kind}, namespace: ${n.namespace ?? ''}, name: ${ref.name}, uid: ${ref.uid}]`;
    void ctx.events.record(involved, 'Warning', 'OwnerRefInvalidNamespace',
      `ownerRef ${coords} does not exist in namespace ${JSON.stringify(n.namespace ?? '')}`, 'garbage-collector-controller');
  }

  function processTransitions(prev: KubeObject | undefined, obj: KubeObject, n: GraphNode): void {
    if (deletionStartsWith(prev, obj, orphanFinalizer)) {
      attemptToOrphan.enqueue(n.uid);
      return;
    }
    if (deletionStartsWith(prev, obj, foregroundFinalizer)) {
      n.deletingDependents = true;
      for (const dep of dependents.get(n.uid) ?? []) attemptToDelete.enqueue(dep);
      attemptToDelete.enqueue(n.uid);
    }
  }

  function observe(ev: CacheEvent): void {
    if (ignoredPrefixes.some((p) => ev.key.startsWith(p))) return;
    const uid = ev.obj.metadata.uid;
    if (!uid) return;
    const existing = nodes.get(uid);
    if (ev.type === 'DELETED') {
      if (!existing || existing.key !== ev.key) return;
      nodes.delete(uid);
      unlinkOwners(existing, existing.owners);
      for (const dep of dependents.get(uid) ?? []) attemptToDelete.enqueue(dep);
      for (const ref of existing.owners) {
        if (nodes.get(ref.uid)?.deletingDependents) attemptToDelete.enqueue(ref.uid);
      }
      return;
    }
    if (!existing) {
      const n = nodeOf(ev.key, ev.obj);
      nodes.set(uid, n);
      // Dependents observed before their owner are checked again now that it is here.
      for (const dep of dependents.get(uid) ?? []) {
        const d = nodes.get(dep);
        if (d && d.owners.some((r) => r.uid === uid && (r.kind !== n.kind || r.name !== n.name))) attemptToDelete.enqueue(dep);
      }
      linkOwners(n, n.owners, true);
      processTransitions(ev.prev, ev.obj, n);
      return;
    }
    const next = ev.obj.metadata.ownerReferences ?? [];
    const oldByUid = new Map(existing.owners.map((r) => [r.uid, r]));
    const added: OwnerReference[] = [];
    const changed: [OwnerReference, OwnerReference][] = [];
    for (const r of next) {
      const o = oldByUid.get(r.uid);
      if (!o) added.push(r);
      else {
        if (!refsEqual(o, r)) changed.push([o, r]);
        oldByUid.delete(r.uid);
      }
    }
    const removed = [...oldByUid.values()];
    if (added.length > 0 || removed.length > 0 || changed.length > 0) {
      // An owner waiting for its blocking dependents may proceed when one lets go.
      for (const r of removed) if (r.blockOwnerDeletion === true && nodes.has(r.uid)) attemptToDelete.enqueue(r.uid);
      for (const [o, r] of changed) {
        if (o.blockOwnerDeletion === true && r.blockOwnerDeletion !== true && nodes.has(r.uid)) attemptToDelete.enqueue(r.uid);
      }
      existing.owners = [...next];
      linkOwners(existing, added, true);
      unlinkOwners(existing, removed);
    }
    existing.apiVersion = ev.obj.apiVersion ?? existing.apiVersion;
    existing.kind = ev.obj.kind ?? existing.kind;
    if (ev.obj.metadata.deletionTimestamp) existing.beingDeleted = true;
    existing.deletingDependents = deletingDependents(ev.obj);
    processTransitions(ev.prev, ev.obj, existing);
  }

  // ---- workers -------------------------------------------------------------

  function current(n: GraphNode): KubeObject | undefined {
    const c = vc.cache.getCached(n.key);
    return c && c.obj.metadata.uid === n.uid ? c.obj : undefined;
  }

  function retryUnresolved(uid: string): Result {
    const n = (unresolved.get(uid) ?? 0) + 1;
    unresolved.set(uid, n);
    return { requeueAfterMs: Math.min(1000 * 2 ** (n - 1), 300_000) };
  }

  type Verdict = 'solid' | 'dangling' | 'waiting';

  async function attemptToDeleteItem(uid: string): Promise<Result | void> {
    const n = nodes.get(uid);
    if (!n) { unresolved.delete(uid); return; }
    const obj = current(n);
    if (!obj) return;
    // Being deleted is a one-way trip: wait for it to go, then its dependents are looked at.
    if (obj.metadata.deletionTimestamp && !deletingDependents(obj)) return;
    if (deletingDependents(obj)) return processDeletingDependents(n);
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;

    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of refs) {
      const def = defOfRef(ref);
      if (!def) return retryUnresolved(uid);
      // A cluster-scoped object cannot have a namespaced owner; such a reference is never acted on.
      if (def.scope === 'Namespaced' && n.namespace === undefined) return;
      const owner = vc.store.peek(def, def.scope === 'Namespaced' ? n.namespace : undefined, ref.name);
      let verdict: Verdict;
      if (!owner || owner.metadata.uid !== ref.uid) verdict = 'dangling';
      else if (deletingDependents(owner)) verdict = 'waiting';
      else verdict = 'solid';
      (verdict === 'solid' ? solid : verdict === 'dangling' ? dangling : waiting).push(ref);
    }
    unresolved.delete(uid);

    const def = defOfNode(n);
    if (!def) return retryUnresolved(uid);

    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return;
      // Keep the object; drop the references that point nowhere, or at owners waiting for it.
      const drop = new Set([...dangling, ...waiting].map((r) => r.uid));
      await mutate(def, n, (o) => {
        const kept = (o.metadata.ownerReferences ?? []).filter((r) => !drop.has(r.uid));
        if (kept.length === (o.metadata.ownerReferences ?? []).length) return false;
        o.metadata.ownerReferences = kept;
        return true;
      });
      return;
    }
    if (waiting.length > 0 && (dependents.get(uid)?.size ?? 0) > 0) {
      // An owner waits for this object, which has dependents of its own: delete it in the
      // foreground too. A dependent that is itself deleting its dependents could wait for us
      // in a cycle: then stop blocking our owners first.
      const deps = [...dependents.get(uid) ?? []].map((d) => nodes.get(d)).filter((d): d is GraphNode => !!d);
      if (deps.some((d) => d.deletingDependents)) {
        await mutate(def, n, (o) => {
          let touched = false;
          for (const r of o.metadata.ownerReferences ?? []) {
            if (r.blockOwnerDeletion === true) { r.blockOwnerDeletion = false; touched = true; }
          }
          return touched;
        });
      }
      return remove(def, n, obj, 'Foreground');
    }
    // Nothing holds the object any more: collect it, honouring a policy it already asked for.
    const policy = hasFinalizer(obj, orphanFinalizer) ? 'Orphan' : hasFinalizer(obj, foregroundFinalizer) ? 'Foreground' : 'Background';
    return remove(def, n, obj, policy);
  }

  async function processDeletingDependents(n: GraphNode): Promise<Result | void> {
    const blocking: GraphNode[] = [];
    for (const d of dependents.get(n.uid) ?? []) {
      const dep = nodes.get(d);
      if (dep && dep.owners.some((r) => r.uid === n.uid && r.blockOwnerDeletion === true)) blocking.push(dep);
    }
    if (blocking.length === 0) return removeFinalizer(n, foregroundFinalizer);
    for (const dep of blocking) if (!dep.deletingDependents) attemptToDelete.enqueue(dep.uid);
  }

  async function orphanDependents(uid: string): Promise<Result | void> {
    const n = nodes.get(uid);
    if (!n) return;
    const failures: string[] = [];
    for (const d of [...dependents.get(uid) ?? []]) {
      const dep = nodes.get(d);
      if (!dep) continue;
      const def = defOfNode(dep);
      if (!def) { failures.push(dep.name); continue; }
      try {
        await mutate(def, dep, (o) => {
          const refs = o.metadata.ownerReferences ?? [];
          const kept = refs.filter((r) => r.uid !== uid);
          if (kept.length === refs.length) return false;
          o.metadata.ownerReferences = kept;
          return true;
        });
      } catch (e) {
        failures.push(`${dep.name}: ${(e as Error).message}`);
      }
    }
    if (failures.length > 0) throw new Error(`failed to orphan dependents of ${n.kind} ${n.name}: ${failures.join('; ')}`);
    return removeFinalizer(n, orphanFinalizer);
  }

  async function removeFinalizer(n: GraphNode, finalizer: string): Promise<Result | void> {
    const def = defOfNode(n);
    if (!def) return retryUnresolved(n.uid);
    await mutate(def, n, (o) => {
      if (!hasFinalizer(o, finalizer)) return false;
      o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== finalizer);
      return true;
    });
  }

  /** Change the object the node stands for (if it is still that object and the change changes anything). */
  async function mutate(def: ResourceDef, n: GraphNode, change: (o: KubeObject) => boolean): Promise<void> {
    const cached = current(n);
    if (!cached) return;
    const probe = structuredClone(cached);
    if (!change(probe)) return;
    const ns = def.scope === 'Namespaced' ? n.namespace : undefined;
    const skip = new Error('skip');
    try {
      await ignoreNotFound(vc.store.guaranteedUpdate(def, ns, n.name, (cur) => {
        const o = cur as KubeObject;
        if (o.metadata.uid !== n.uid || !change(o)) throw skip;
        return o;
      }, { fieldManager: controllerManager }));
    } catch (e) {
      if (e !== skip) throw e;
    }
  }

  async function remove(def: ResourceDef, n: GraphNode, obj: KubeObject, policy: 'Orphan' | 'Foreground' | 'Background'): Promise<Result | void> {
    const ns = def.scope === 'Namespaced' ? n.namespace : undefined;
    try {
      await ignoreNotFound(vc.store.delete(def, ns, n.name, {
        propagationPolicy: policy,
        preconditions: { uid: n.uid, resourceVersion: obj.metadata.resourceVersion },
        fieldManager: controllerManager,
      }));
    } catch (e) {
      // The object changed since it was judged: judge it again.
      if (isConflict(e)) return { requeueAfterMs: 0 };
      throw e;
    }
  }

  // ---- start-up ------------------------------------------------------------

  const unsubscribe = vc.cache.subscribe({ prefix: '/registry/', onEvent: observe });
  const prefixes = new Set(prefixDefs().keys());
  for (const crd of vc.crds()) {
    const spec = rec(crd.spec);
    const group = str(spec.group), plural = str(rec(spec.names).plural);
    if (group && plural) prefixes.add(`/registry/${group}/${plural}/`);
  }
  const initial: { key: string; obj: KubeObject }[] = [];
  for (const p of prefixes) {
    if (ignoredPrefixes.includes(p)) continue;
    for (const c of vc.cache.scan(p)) {
      const uid = c.obj.metadata.uid;
      if (!uid) continue;
      nodes.set(uid, nodeOf(c.key, c.obj));
      initial.push(c);
    }
  }
  for (const { obj } of initial) {
    const n = nodes.get(obj.metadata.uid as string) as GraphNode;
    linkOwners(n, n.owners, true);
  }
  for (const { obj } of initial) processTransitions(undefined, obj, nodes.get(obj.metadata.uid as string) as GraphNode);

  const stop = () => {
    unsubscribe();
    attemptToDelete.stop();
    attemptToOrphan.stop();
  };
  return Object.assign(stop, {
    stop,
    hasDependents: (uid: string) => (dependents.get(uid)?.size ?? 0) > 0,
    dependentsOf: (uid: string) => [...dependents.get(uid) ?? []],
  });
}
