// The StatefulSet controller: pods `<set>-<ordinal>` with stable identity
// (pod-name and pod-index labels, hostname, subdomain) and storage (claims
// `<template>-<set>-<ordinal>`, their owner references following the set's
// persistentVolumeClaimRetentionPolicy); OrderedReady and Parallel pod
// management; RollingUpdate (partition, maxUnavailable) and OnDelete updates
// driven by ControllerRevisions; and the status kubectl rollout status reads.
// It follows the behaviour of kube-controller-manager's statefulset controller.

import { ApiError } from '../../api/errors.ts';
import type { KubeObject, ObjectMeta, OwnerReference } from '../../api/types.ts';
import { selectorConvertible, selectorMatches } from '../../api/validation/labelselector.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import { jsonEqual } from '../../registry/generic/metadata.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { CacheEvent } from '../../registry/generic/watch-cache.ts';
import type { ControllerContext } from '../context.ts';
import { Controller } from '../runtime.ts';
import type { Result } from '../runtime.ts';
import {
  cached, canonicalJson, claimableBy, claimObjects, clone, controllerRefOf, fieldManager, fnv1, isAlreadyExists, isNotFound, isObj,
  isPodAvailable, isPodReady, isTerminating, msUntilAvailable, newControllerRef, podPhase, revisionName,
  revisionTemplate, safeEncode, scaledValue, slowStart, sortRevisions, templatePatch, utf8,
} from './util.ts';
import type { Obj, Pod, PodTemplate, Revision } from './util.ts';

export const statefulSetPodNameLabel = 'statefulset.kubernetes.io/pod-name';
export const podIndexLabel = 'apps.kubernetes.io/pod-index';
/** The pod label naming the ControllerRevision a pod was made from. */
export const controllerRevisionHashLabel = 'controller-revision-hash';
/** The label on a ControllerRevision holding the hash of its data. */
export const revisionHashLabel = 'controller.kubernetes.io/hash';

const component = 'statefulset-controller';
const setApiVersion = 'apps/v1';
const setKind = 'StatefulSet';

interface RollingUpdate { partition?: number; maxUnavailable?: number | string }

interface StatefulSetSpec {
  replicas?: number;
  selector?: unknown;
  template?: PodTemplate;
  serviceName?: string;
  podManagementPolicy?: string;
  updateStrategy?: { type?: string; rollingUpdate?: RollingUpdate | null };
  volumeClaimTemplates?: KubeObject[];
  revisionHistoryLimit?: number;
  minReadySeconds?: number;
  ordinals?: { start?: number } | null;
  persistentVolumeClaimRetentionPolicy?: { whenDeleted?: string; whenScaled?: string } | null;
}

interface StatefulSetStatus {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount?: number;
  availableReplicas?: number;
  conditions?: unknown[];
}

interface StatefulSet extends KubeObject {
  spec: StatefulSetSpec;
  status?: StatefulSetStatus;
}

interface Counts { replicas: number; ready: number; available: number; current: number; updated: number }

// ---- identity ------------------------------------------------------------------

const statefulPodName = /^(.*)-([0-9]+)$/;

/** The parent set's name and the ordinal a pod's name carries (-1 when none). */
export function parentAndOrdinal(name: string | undefined): { parent: string; ordinal: number } {
  const m = statefulPodName.exec(name ?? '');
  if (!m) return { parent: '', ordinal: -1 };
  const n = Number(m[2]);
  return { parent: m[1] as string, ordinal: n <= 2147483647 ? n : -1 };
}

function ordinalOf(pod: KubeObject): number {
  return parentAndOrdinal(pod.metadata.name).ordinal;
}

function replicasOf(set: StatefulSet): number {
  return set.spec.replicas ?? 1;
}

function startOrdinal(set: StatefulSet): number {
  return set.spec.ordinals?.start ?? 0;
}

function endOrdinal(set: StatefulSet): number {
  return startOrdinal(set) + replicasOf(set) - 1;
}

function inOrdinalRange(pod: KubeObject, set: StatefulSet): boolean {
  const o = ordinalOf(pod);
  return o >= startOrdinal(set) && o <= endOrdinal(set);
}

function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata.name}-${ordinal}`;
}

function claimName(set: StatefulSet, template: KubeObject, ordinal: number): string {
  return `${template.metadata?.name ?? ''}-${set.metadata.name}-${ordinal}`;
}

function isMemberOf(set: StatefulSet, pod: KubeObject): boolean {
  return parentAndOrdinal(pod.metadata.name).parent === set.metadata.name;
}

function identityMatches(set: StatefulSet, pod: Pod): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod.metadata.name);
  return ordinal >= 0 && parent === set.metadata.name && pod.metadata.name === podName(set, ordinal) &&
    pod.metadata.namespace === set.metadata.namespace && pod.metadata.labels?.[statefulSetPodNameLabel] === pod.metadata.name;
}

function claimTemplates(set: StatefulSet): KubeObject[] {
  return (set.spec.volumeClaimTemplates ?? []).filter((t) => isObj(t) && isObj(t.metadata));
}

function storageMatches(set: StatefulSet, pod: Pod): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map<string, Obj>();
  for (const v of pod.spec?.volumes ?? []) if (typeof v.name === 'string') volumes.set(v.name, v);
  for (const t of claimTemplates(set)) {
    const v = volumes.get(t.metadata.name as string);
    const pvc = v && isObj(v.persistentVolumeClaim) ? v.persistentVolumeClaim : undefined;
    if (!pvc || pvc.claimName !== claimName(set, t, ordinal)) return false;
  }
  return true;
}

/** The claims a pod of the set uses, by template name, as they should be created. */
function podClaims(set: StatefulSet, pod: KubeObject): Map<string, KubeObject> {
  const ordinal = ordinalOf(pod);
  const out = new Map<string, KubeObject>();
  const matchLabels = isObj(set.spec.selector) && isObj(set.spec.selector.matchLabels) ? set.spec.selector.matchLabels as Record<string, string> : {};
  for (const t of claimTemplates(set)) {
    const { name: _n, namespace: _ns, uid: _u, resourceVersion: _rv, creationTimestamp: _c, generation: _g, managedFields: _m, ...meta } = clone(t.metadata);
    const claim: KubeObject = {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim',
      metadata: { ...meta, name: claimName(set, t, ordinal), namespace: set.metadata.namespace, labels: { ...(meta.labels ?? {}), ...matchLabels } },
      spec: clone(t.spec),
    };
    if (Object.keys(claim.metadata.labels ?? {}).length === 0) delete claim.metadata.labels;
    out.set(t.metadata.name as string, claim);
  }
  return out;
}

function updateStorage(set: StatefulSet, pod: Pod): void {
  const claims = podClaims(set, pod);
  const spec = pod.spec ?? (pod.spec = {});
  const volumes: Obj[] = [];
  for (const [name, claim] of claims) volumes.push({ name, persistentVolumeClaim: { claimName: claim.metadata.name } });
  for (const v of spec.volumes ?? []) if (!claims.has(v.name as string)) volumes.push(v);
  if (volumes.length > 0) spec.volumes = volumes;
}

function updateIdentity(set: StatefulSet, pod: Pod): void {
  const ordinal = ordinalOf(pod);
  pod.metadata.name = podName(set, ordinal);
  pod.metadata.namespace = set.metadata.namespace;
  const labels = pod.metadata.labels ?? (pod.metadata.labels = {});
  labels[statefulSetPodNameLabel] = pod.metadata.name;
  labels[podIndexLabel] = String(ordinal);
}

function initIdentity(set: StatefulSet, pod: Pod): void {
  updateIdentity(set, pod);
  const spec = pod.spec ?? (pod.spec = {});
  spec.hostname = pod.metadata.name;
  if (set.spec.serviceName) spec.subdomain = set.spec.serviceName;
}

/** controller.GetPodFromTemplate: labels, annotations, finalizers and spec of the template, generateName and owner. */
export function podFromTemplate(template: PodTemplate | undefined, owner: KubeObject, ref: OwnerReference): Pod {
  const tm: ObjectMeta = template?.metadata ?? {};
  const prefix = `${owner.metadata.name}-`;
  // In the order Go serializes ObjectMeta.
  const meta: ObjectMeta = { name: undefined, generateName: prefix.length > 253 ? owner.metadata.name : prefix, namespace: owner.metadata.namespace };
  if (tm.labels && Object.keys(tm.labels).length > 0) meta.labels = { ...tm.labels };
  if (tm.annotations && Object.keys(tm.annotations).length > 0) meta.annotations = { ...tm.annotations };
  meta.ownerReferences = [ref];
  if (tm.finalizers && tm.finalizers.length > 0) meta.finalizers = [...tm.finalizers];
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec: clone(template?.spec ?? {}) };
}

function newStatefulPod(set: StatefulSet, ordinal: number): Pod {
  const pod = podFromTemplate(set.spec.template, set, newControllerRef(set, setApiVersion, setKind));
  pod.metadata.name = podName(set, ordinal);
  initIdentity(set, pod);
  updateStorage(set, pod);
  return pod;
}

function podRevision(pod: KubeObject): string {
  return pod.metadata.labels?.[controllerRevisionHashLabel] ?? '';
}

function setPodRevision(pod: Pod, revision: string): void {
  (pod.metadata.labels ?? (pod.metadata.labels = {}))[controllerRevisionHashLabel] = revision;
}

/** A pod for an ordinal: from the current revision below the partition, from the update revision otherwise. */
function newVersionedPod(currentSet: StatefulSet, updateSet: StatefulSet, currentRevision: string, updateRevision: string, ordinal: number): Pod {
  const us = currentSet.spec.updateStrategy ?? {};
  const ru = us.rollingUpdate;
  // Upstream's condition groups as (RollingUpdate && no rollingUpdate && below currentReplicas) || (rollingUpdate && below partition).
  const belowCurrent = us.type === 'RollingUpdate' && !ru && ordinal < startOrdinal(currentSet) + (currentSet.status?.currentReplicas ?? 0);
  const belowPartition = !!ru && ordinal < startOrdinal(currentSet) + (ru.partition ?? 0);
  if (belowCurrent || belowPartition) {
    const pod = newStatefulPod(currentSet, ordinal);
    setPodRevision(pod, currentRevision);
    return pod;
  }
  const pod = newStatefulPod(updateSet, ordinal);
  setPodRevision(pod, updateRevision);
  return pod;
}

// ---- pod states -------------------------------------------------------------------

function isCreated(pod: Pod): boolean { return podPhase(pod) !== ''; }
function isRunningAndReady(pod: Pod): boolean { return podPhase(pod) === 'Running' && isPodReady(pod); }
function isRunningAndAvailable(pod: Pod, minReady: number, now: Date): boolean {
  return podPhase(pod) === 'Running' && isPodAvailable(pod, minReady, now);
}
function isHealthy(pod: Pod): boolean { return isRunningAndReady(pod) && !isTerminating(pod); }
function isUnavailable(pod: Pod, minReady: number, now: Date): boolean {
  return isTerminating(pod) || !isRunningAndAvailable(pod, minReady, now);
}

function countPods(lists: Pod[][], minReady: number, current: string, update: string, now: Date): Counts {
  const c: Counts = { replicas: 0, ready: 0, available: 0, current: 0, updated: 0 };
  for (const list of lists) {
    for (const pod of list) {
      if (isCreated(pod)) c.replicas++;
      if (isRunningAndReady(pod)) {
        c.ready++;
        if (isRunningAndAvailable(pod, minReady, now)) c.available++;
      }
      if (isCreated(pod) && !isTerminating(pod)) {
        if (podRevision(pod) === current) c.current++;
        if (podRevision(pod) === update) c.updated++;
      }
    }
  }
  return c;
}

// ---- claims and retention ----------------------------------------------------------

type RetentionPolicy = { whenDeleted: string; whenScaled: string };

function retentionPolicy(set: StatefulSet): RetentionPolicy {
  const p = set.spec.persistentVolumeClaimRetentionPolicy;
  return { whenDeleted: p?.whenDeleted || 'Retain', whenScaled: p?.whenScaled || 'Retain' };
}

function matchesRef(ref: OwnerReference, obj: KubeObject, apiVersion: string, kind: string): boolean {
  return ref.apiVersion === apiVersion && ref.kind === kind && ref.name === obj.metadata.name;
}

function hasOwnerRef(target: KubeObject, owner: KubeObject): boolean {
  const uid = owner.metadata.uid;
  return !!uid && (target.metadata.ownerReferences ?? []).some((r) => r.uid === uid);
}

function hasStaleOwnerRef(target: KubeObject, obj: KubeObject, apiVersion: string, kind: string): boolean {
  for (const r of target.metadata.ownerReferences ?? []) {
    if (matchesRef(r, obj, apiVersion, kind)) return r.uid !== obj.metadata.uid;
  }
  return false;
}

function hasUnexpectedController(claim: KubeObject, set: StatefulSet, pod: Pod): boolean {
  const p = retentionPolicy(set);
  if (p.whenScaled === 'Retain' && p.whenDeleted === 'Retain') return false;
  for (const r of claim.metadata.ownerReferences ?? []) {
    if (matchesRef(r, set, setApiVersion, setKind)) {
      if (r.uid !== set.metadata.uid) return true;
      continue;
    }
    if (matchesRef(r, pod, 'v1', 'Pod')) {
      if (r.uid !== pod.metadata.uid) return true;
      continue;
    }
    if (r.controller === true) return true;
  }
  return false;
}

function hasNonControllerOwner(claim: KubeObject, set: StatefulSet, pod: Pod): boolean {
  return (claim.metadata.ownerReferences ?? []).some((r) =>
    (r.uid === set.metadata.uid || (!!pod.metadata.uid && r.uid === pod.metadata.uid)) && r.controller !== true);
}

/**
 * Whether a claim's owner references agree with the retention policy: none
 * for Retain/Retain, the set for whenDeleted=Delete, the pod once it is scaled
 * away for whenScaled=Delete. Claims in an unexpected state are left alone.
 */
export function claimOwnerUpToDate(claim: KubeObject, set: StatefulSet, pod: Pod): boolean {
  if (hasStaleOwnerRef(claim, set, setApiVersion, setKind) || hasStaleOwnerRef(claim, pod, 'v1', 'Pod')) return true;
  if (hasUnexpectedController(claim, set, pod)) {
    return !(hasOwnerRef(claim, set) || hasOwnerRef(claim, pod));
  }
  if (hasNonControllerOwner(claim, set, pod)) return false;
  const p = retentionPolicy(set);
  const scaledDown = !inOrdinalRange(pod, set);
  if (p.whenScaled === 'Delete' && p.whenDeleted === 'Delete') {
    if (scaledDown === hasOwnerRef(claim, set)) return false;
    if (scaledDown !== hasOwnerRef(claim, pod)) return false;
  } else if (p.whenScaled === 'Delete') {
    if (hasOwnerRef(claim, set)) return false;
    if (scaledDown !== hasOwnerRef(claim, pod)) return false;
  } else if (p.whenDeleted === 'Delete') {
    if (!hasOwnerRef(claim, set) || hasOwnerRef(claim, pod)) return false;
  } else if (hasOwnerRef(claim, set) || hasOwnerRef(claim, pod)) {
    return false;
  }
  return true;
}

function addControllerRefTo(refs: OwnerReference[], owner: KubeObject, apiVersion: string, kind: string): OwnerReference[] {
  if (refs.some((r) => r.uid === owner.metadata.uid)) return refs;
  return [...refs, newControllerRef(owner, apiVersion, kind)];
}

/** Set a claim's owner references to what the retention policy asks for. */
export function updateClaimOwnerRefs(claim: KubeObject, set: StatefulSet, pod: Pod): void {
  const unexpected = hasUnexpectedController(claim, set, pod);
  let refs = (claim.metadata.ownerReferences ?? []).filter((r) =>
    !matchesRef(r, set, setApiVersion, setKind) && !matchesRef(r, pod, 'v1', 'Pod'));
  if (!unexpected) {
    const p = retentionPolicy(set);
    const scaledDown = !inOrdinalRange(pod, set);
    if (p.whenScaled === 'Delete' && scaledDown && pod.metadata.uid) refs = addControllerRefTo(refs, pod, 'v1', 'Pod');
    if (p.whenDeleted === 'Delete' && !(p.whenScaled === 'Delete' && scaledDown)) refs = addControllerRefTo(refs, set, setApiVersion, setKind);
  }
  if (refs.length > 0) claim.metadata.ownerReferences = refs;
  else delete claim.metadata.ownerReferences;
}

// ---- revisions ---------------------------------------------------------------------

/** A revision of the set's current template (history.NewControllerRevision), named with collisionCount. */
function newRevision(set: StatefulSet, revision: number, collisionCount: number): Revision {
  const data = templatePatch(set);
  const hash = revisionHash(data, collisionCount);
  const labels = { ...(set.spec.template?.metadata?.labels ?? {}), [revisionHashLabel]: hash };
  const meta: ObjectMeta = {
    name: revisionName(set.metadata.name as string, hash), namespace: set.metadata.namespace, labels,
    ownerReferences: [newControllerRef(set, setApiVersion, setKind)],
  };
  if (set.metadata.annotations && Object.keys(set.metadata.annotations).length > 0) meta.annotations = { ...set.metadata.annotations };
  return { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: meta, data, revision };
}

/** HashControllerRevision: FNV-1 over the data, then the collision count in decimal. */
function revisionHash(data: unknown, collisionCount: number): string {
  const h = fnv1(utf8(String(collisionCount)), fnv1(utf8(canonicalJson(data))));
  return safeEncode(String(h));
}

function equalRevision(a: Revision, b: Revision): boolean {
  return canonicalJson(a.data) === canonicalJson(b.data);
}

/** The set as a revision records it: the set with its pod template replaced by the revision's. */
function applyRevision(set: StatefulSet, rev: Revision): StatefulSet {
  const out = clone(set);
  const t = revisionTemplate(rev);
  if (t) out.spec.template = t;
  return out;
}

// ---- the controller ----------------------------------------------------------------

interface Defs { set: ResourceDef; pod: ResourceDef; pvc: ResourceDef; rev: ResourceDef }

class StatefulSetSync {
  private readonly ctx: ControllerContext;
  private readonly defs: Defs;

  constructor(ctx: ControllerContext, defs: Defs) {
    this.ctx = ctx;
    this.defs = defs;
  }

  private get store() { return this.ctx.vc.store; }

  private event(set: StatefulSet, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    return this.ctx.events.record(set, type, reason, message, component);
  }

  private recordPodEvent(verb: string, set: StatefulSet, pod: Pod, err?: unknown): Promise<void> {
    const title = verb[0]?.toUpperCase() + verb.slice(1);
    if (err === undefined) return this.event(set, 'Normal', `Successful${title}`, `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    return this.event(set, 'Warning', `Failed${title}`, `${verb} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
  }

  private recordClaimEvent(verb: string, set: StatefulSet, pod: Pod, claim: KubeObject, err?: unknown): Promise<void> {
    const title = verb[0]?.toUpperCase() + verb.slice(1);
    if (err === undefined) return this.event(set, 'Normal', `Successful${title}`, `${verb} Claim ${claim.metadata.name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`);
    return this.event(set, 'Warning', `Failed${title}`, `${verb} Claim ${claim.metadata.name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`);
  }

  async sync(key: string): Promise<Result | void> {
    const [ns, name] = key.split('/') as [string, string];
    const set = this.store.peek(this.defs.set, ns, name) as StatefulSet | undefined;
    if (!set) return;
    if (!set.spec || typeof set.spec !== 'object' || !selectorConvertible(set.spec.selector) || !isObj(set.spec.selector)) return;
    await this.adoptOrphanRevisions(set);
    const pods = await this.podsFor(set);
    const status = await this.updateStatefulSet(set, pods);
    const minReady = set.spec.minReadySeconds ?? 0;
    if (status && minReady > 0 && (status.availableReplicas ?? 0) !== replicasOf(set)) {
      const now = this.ctx.now();
      let wait: number | undefined;
      for (const p of this.ownedPods(set)) {
        const ms = msUntilAvailable(p, minReady, now);
        if (ms !== undefined && (wait === undefined || ms < wait)) wait = ms;
      }
      return { requeueAfterMs: wait ?? minReady * 1000 };
    }
  }

  /** Revisions in the namespace that the set's selector selects and that it controls or nobody does. */
  private listRevisions(set: StatefulSet): Revision[] {
    return (cached(this.ctx, this.defs.rev, set.metadata.namespace) as Revision[]).filter((r) => {
      if (!selectorMatches(set.spec.selector, r.metadata.labels ?? {})) return false;
      const ref = controllerRefOf(r);
      return !ref || ref.uid === set.metadata.uid;
    });
  }

  private async adoptOrphanRevisions(set: StatefulSet): Promise<void> {
    const orphans = this.listRevisions(set).filter((r) => !controllerRefOf(r));
    if (orphans.length === 0) return;
    const fresh = await this.store.get(this.defs.set, set.metadata.namespace, set.metadata.name as string);
    if (fresh.metadata.uid !== set.metadata.uid) throw new Error(`original StatefulSet ${set.metadata.namespace}/${set.metadata.name} is gone`);
    const ref = newControllerRef(set, setApiVersion, setKind);
    for (const r of orphans) {
      await this.store.guaranteedUpdate(this.defs.rev, r.metadata.namespace, r.metadata.name as string, (cur) => {
        const o = cur as Revision;
        if (o.metadata.uid !== r.metadata.uid) throw new ApiError(409, 'Conflict', 'the revision was replaced');
        const other = controllerRefOf(o);
        if (other) throw new Error(`attempt to adopt revision owned by ${other.kind} ${other.name}`);
        o.metadata.ownerReferences = [...(o.metadata.ownerReferences ?? []), ref];
        return o;
      }, { fieldManager });
    }
  }

  private ownedPods(set: StatefulSet): Pod[] {
    return (claimableBy(this.ctx, this.defs.pod, set) as Pod[]).filter((p) => controllerRefOf(p)?.uid === set.metadata.uid);
  }

  private podsFor(set: StatefulSet): Promise<Pod[]> {
    return claimObjects({
      ctx: this.ctx, def: this.defs.pod, owner: set, ownerApiVersion: setApiVersion, ownerKind: setKind,
      selector: set.spec.selector, filter: (p) => isMemberOf(set, p),
    }, claimableBy(this.ctx, this.defs.pod, set)) as Promise<Pod[]>;
  }

  private async updateStatefulSet(set: StatefulSet, pods: Pod[]): Promise<StatefulSetStatus | undefined> {
    const revisions = sortRevisions(this.listRevisions(set));
    let current: Revision | undefined;
    let update: Revision | undefined;
    let status: StatefulSetStatus | undefined;
    let failure: unknown;
    try {
      const r = await this.getRevisions(set, revisions);
      current = r.current;
      update = r.update;
      const { status: st, error } = await this.reconcilePods(set, r.current, r.update, r.collisionCount, pods);
      status = st;
      await this.writeStatus(set, st);
      if (error !== undefined) failure = error;
    } catch (e) {
      failure = e;
    }
    await this.truncateHistory(set, pods, revisions, current, update);
    if (failure !== undefined) throw failure;
    return status;
  }

  /** The current and update revisions, creating the update revision (or renumbering an equal old one) as needed. */
  private async getRevisions(set: StatefulSet, revisions: Revision[]): Promise<{ current: Revision; update: Revision; collisionCount: number }> {
    let collisionCount = set.status?.collisionCount ?? 0;
    const next = revisions.length === 0 ? 1 : (revisions[revisions.length - 1]?.revision ?? 0) + 1;
    let update = newRevision(set, next, collisionCount);
    const equal = revisions.filter((r) => equalRevision(r, update));
    const last = revisions[revisions.length - 1];
    if (equal.length > 0 && last && equal[equal.length - 1] === last) {
      update = last;
    } else if (equal.length > 0) {
      const target = equal[equal.length - 1] as Revision;
      const { obj } = await this.store.guaranteedUpdate(this.defs.rev, target.metadata.namespace, target.metadata.name as string, (cur) => {
        const o = cur as Revision;
        o.revision = next;
        return o;
      }, { fieldManager });
      update = obj as Revision;
    } else {
      for (;;) {
        const hash = revisionHash(update.data, collisionCount);
        const attempt = clone(update);
        attempt.metadata.name = revisionName(set.metadata.name as string, hash);
        try {
          update = await this.store.create(this.defs.rev, set.metadata.namespace, attempt, { fieldManager }) as Revision;
          break;
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
          const exists = await this.store.get(this.defs.rev, set.metadata.namespace, attempt.metadata.name as string) as Revision;
          if (canonicalJson(exists.data) === canonicalJson(attempt.data)) { update = exists; break; }
          collisionCount++;
        }
      }
    }
    const current = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
    return { current, update, collisionCount };
  }

  private async reconcilePods(set: StatefulSet, currentRev: Revision, updateRev: Revision, collisionCount: number, pods: Pod[]):
    Promise<{ status: StatefulSetStatus; error?: unknown }> {
    const now = this.ctx.now();
    const currentSet = applyRevision(set, currentRev);
    const updateSet = applyRevision(set, updateRev);
    const minReady = set.spec.minReadySeconds ?? 0;
    const curName = currentRev.metadata.name as string;
    const updName = updateRev.metadata.name as string;
    const status: StatefulSetStatus = {
      observedGeneration: set.metadata.generation, currentRevision: curName, updateRevision: updName, collisionCount,
    };
    const setCounts = (...lists: Pod[][]) => {
      const c = countPods(lists, minReady, curName, updName, now);
      status.replicas = c.replicas;
      status.readyReplicas = c.ready;
      status.availableReplicas = c.available;
      status.currentReplicas = c.current;
      status.updatedReplicas = c.updated;
    };
    setCounts(pods);

    const start = startOrdinal(set);
    const count = replicasOf(set);
    const replicas: Pod[] = [];
    const condemned: Pod[] = [];
    for (const pod of pods) {
      if (inOrdinalRange(pod, set)) replicas[ordinalOf(pod) - start] = pod;
      else if (ordinalOf(pod) >= 0) condemned.push(pod);
    }
    for (let ord = start; ord <= endOrdinal(set); ord++) {
      if (!replicas[ord - start]) replicas[ord - start] = newVersionedPod(currentSet, updateSet, curName, updName, ord);
    }
    replicas.length = count;
    condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));

    let firstUnhealthy: Pod | undefined = replicas.find((p) => !isHealthy(p));
    if (!firstUnhealthy) {
      for (let i = condemned.length - 1; i >= 0; i--) {
        if (!isHealthy(condemned[i] as Pod)) { firstUnhealthy = condemned[i]; break; }
      }
    }

    if (set.metadata.deletionTimestamp) return { status };
    const monotonic = set.spec.podManagementPolicy !== 'Parallel';
    const done = (error?: unknown) => { setCounts(replicas, condemned); return { status, error }; };

    let r = await this.runForAll(replicas.length, (i) => this.processReplica(set, updateSet, monotonic, replicas, i, now), monotonic);
    if (r.exit || r.error !== undefined) return done(r.error);

    // Claims of condemned pods follow the retention policy before the pods go.
    r = await this.runForAll(condemned.length, async (i) => {
      const pod = condemned[i] as Pod;
      if (!this.claimsMatchRetentionPolicy(updateSet, pod)) await this.updatePodClaimForRetentionPolicy(updateSet, pod);
      return false;
    }, monotonic);
    if (r.exit || r.error !== undefined) return done(r.error);

    r = await this.runForAll(condemned.length, (i) => this.processCondemned(set, firstUnhealthy, monotonic, condemned, i, now), monotonic);
    if (r.exit || r.error !== undefined) return done(r.error);

    setCounts(replicas, condemned);
    if (set.spec.updateStrategy?.type === 'OnDelete') return { status };
    try {
      await this.rollingUpdate(set, replicas, updName, status, now);
    } catch (e) {
      return { status, error: e };
    }
    return { status };
  }

  /** In order, stopping at the first that asks to; or all at once in slow-start batches. */
  private async runForAll(n: number, fn: (i: number) => Promise<boolean>, monotonic: boolean): Promise<{ exit: boolean; error?: unknown }> {
    if (monotonic) {
      for (let i = 0; i < n; i++) {
        try {
          if (await fn(i)) return { exit: true };
        } catch (e) {
          return { exit: true, error: e };
        }
      }
      return { exit: false };
    }
    const errs = await slowStart(n, async (i) => { await fn(i); });
    return errs.length > 0 ? { exit: true, error: errs[0] } : { exit: false };
  }

  private async processReplica(set: StatefulSet, updateSet: StatefulSet, monotonic: boolean, replicas: Pod[], i: number, now: Date): Promise<boolean> {
    const pod = replicas[i] as Pod;
    const phase = podPhase(pod);
    if (phase === 'Failed' || phase === 'Succeeded') {
      // Restart finished pods; the replacement comes once the old one is gone.
      if (!pod.metadata.deletionTimestamp) await this.deleteStatefulPod(set, pod);
      return true;
    }
    if (!isCreated(pod)) {
      if (this.podClaimIsStale(set, pod)) return true;
      await this.createStatefulPod(set, pod);
      if (monotonic) return true;
    }
    if (phase === 'Pending') await this.createMissingClaims(set, pod);
    if (isTerminating(pod) && monotonic) return true;
    if (!isRunningAndReady(pod) && monotonic) return true;
    if (!isRunningAndAvailable(pod, set.spec.minReadySeconds ?? 0, now) && monotonic) return true;
    let retentionMatch = true;
    try { retentionMatch = this.claimsMatchRetentionPolicy(updateSet, pod); } catch { retentionMatch = true; }
    if (identityMatches(set, pod) && storageMatches(set, pod) && retentionMatch) return false;
    if (isCreated(pod)) await this.updateStatefulPod(updateSet, clone(pod));
    return false;
  }

  private async processCondemned(set: StatefulSet, firstUnhealthy: Pod | undefined, monotonic: boolean, condemned: Pod[], i: number, now: Date): Promise<boolean> {
    const pod = condemned[i] as Pod;
    if (isTerminating(pod)) return monotonic;
    if (!isRunningAndReady(pod) && monotonic && pod !== firstUnhealthy) return true;
    if (!isRunningAndAvailable(pod, set.spec.minReadySeconds ?? 0, now) && monotonic && pod !== firstUnhealthy) return true;
    await this.deleteStatefulPod(set, pod);
    return true;
  }

  /** Replace pods of old revisions, highest ordinal first, within maxUnavailable and above the partition. */
  private async rollingUpdate(set: StatefulSet, replicas: Pod[], updName: string, status: StatefulSetStatus, now: Date): Promise<void> {
    const ru = set.spec.updateStrategy?.rollingUpdate;
    let updateMin = 0;
    let maxUnavailable = 1;
    if (ru) {
      updateMin = ru.partition ?? 0;
      maxUnavailable = Math.max(1, scaledValue(ru.maxUnavailable ?? 1, replicas.length, false) ?? 1);
    }
    const minReady = set.spec.minReadySeconds ?? 0;
    const parallel = set.spec.podManagementPolicy === 'Parallel';
    let unavailable = 0;
    let unavailableNeedingUpdate = 0;
    for (const pod of replicas) {
      if (!isUnavailable(pod, minReady, now)) continue;
      unavailable++;
      if (parallel && podRevision(pod) !== updName && !isTerminating(pod)) unavailableNeedingUpdate++;
    }
    if (unavailable >= maxUnavailable && unavailableNeedingUpdate === 0) return;
    const outdated = (pod: Pod) => isCreated(pod) && podRevision(pod) !== updName && !isTerminating(pod);
    const remove = async (pod: Pod) => {
      try {
        await this.deleteStatefulPod(set, pod);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      status.currentReplicas = (status.currentReplicas ?? 0) - 1;
    };
    if (parallel) {
      // Pods already unavailable go first, so the budget is not spent on healthy ones.
      for (let t = replicas.length - 1; t >= updateMin; t--) {
        const pod = replicas[t] as Pod;
        if (outdated(pod) && !isRunningAndAvailable(pod, minReady, now)) await remove(pod);
      }
      let budget = maxUnavailable - unavailable;
      for (let t = replicas.length - 1; t >= updateMin && budget > 0; t--) {
        const pod = replicas[t] as Pod;
        if (outdated(pod) && isRunningAndAvailable(pod, minReady, now)) { await remove(pod); budget--; }
      }
      return;
    }
    const toDelete = maxUnavailable - unavailable;
    let deleted = 0;
    for (let t = replicas.length - 1; t >= updateMin && deleted < toDelete; t--) {
      const pod = replicas[t] as Pod;
      if (outdated(pod)) { await remove(pod); deleted++; }
    }
  }

  private async writeStatus(set: StatefulSet, computed: StatefulSetStatus): Promise<void> {
    const spec = replicasOf(set);
    const st = { ...computed };
    // A rolling update is complete once every replica is updated and ready.
    if (set.spec.updateStrategy?.type === 'RollingUpdate' && st.updatedReplicas === spec && st.readyReplicas === spec && st.replicas === spec) {
      st.currentReplicas = st.updatedReplicas;
      st.currentRevision = st.updateRevision;
    }
    const want = statusObject(st, set.status?.conditions);
    if (jsonEqual(want, set.status ?? {})) return;
    try {
      await this.store.guaranteedUpdate(this.defs.set, set.metadata.namespace, set.metadata.name as string, (cur) => {
        const o = cur as StatefulSet;
        if (o.metadata.uid !== set.metadata.uid) throw new ApiError(409, 'Conflict', 'the StatefulSet was replaced');
        o.status = statusObject(st, o.status?.conditions);
        return o;
      }, { subresource: 'status', fieldManager });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Delete old revisions nothing uses, oldest first, beyond revisionHistoryLimit. */
  private async truncateHistory(set: StatefulSet, pods: Pod[], revisions: Revision[], current?: Revision, update?: Revision): Promise<void> {
    const live = new Set<string>();
    if (current) live.add(current.metadata.name as string);
    if (update) live.add(update.metadata.name as string);
    for (const p of pods) live.add(podRevision(p));
    const history = revisions.filter((r) => !live.has(r.metadata.name as string));
    const limit = set.spec.revisionHistoryLimit ?? 10;
    if (history.length <= limit) return;
    for (const r of history.slice(0, history.length - limit)) {
      try {
        await this.store.delete(this.defs.rev, r.metadata.namespace, r.metadata.name as string, { fieldManager });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  // ---- pod and claim writes ----

  private async createStatefulPod(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.createClaims(set, pod);
    } catch (e) {
      await this.recordPodEvent('create', set, pod, e);
      throw e;
    }
    let err: unknown;
    try {
      await this.store.create(this.defs.pod, set.metadata.namespace, pod, { fieldManager });
    } catch (e) {
      if (isAlreadyExists(e)) throw e;
      err = e;
    }
    try {
      await this.updatePodClaimForRetentionPolicy(set, pod);
    } catch (e) {
      await this.recordPodEvent('update', set, pod, e);
      throw e;
    }
    await this.recordPodEvent('create', set, pod, err);
    if (err !== undefined) throw err;
  }

  private async createMissingClaims(set: StatefulSet, pod: Pod): Promise<void> {
    await this.createClaims(set, pod);
    try {
      await this.updatePodClaimForRetentionPolicy(set, pod);
    } catch (e) {
      await this.recordPodEvent('update', set, pod, e);
      throw e;
    }
  }

  private async createClaims(set: StatefulSet, pod: Pod): Promise<void> {
    const errs: string[] = [];
    for (const claim of podClaims(set, pod).values()) {
      const existing = this.store.peek(this.defs.pvc, claim.metadata.namespace, claim.metadata.name as string);
      if (!existing) {
        try {
          await this.store.create(this.defs.pvc, claim.metadata.namespace, claim, { fieldManager });
          await this.recordClaimEvent('create', set, pod, claim);
        } catch (e) {
          errs.push(`failed to create PVC ${claim.metadata.name}: ${(e as Error).message}`);
          if (!isAlreadyExists(e)) await this.recordClaimEvent('create', set, pod, claim, e);
        }
      } else if (existing.metadata.deletionTimestamp) {
        errs.push(`pvc ${claim.metadata.name} is being deleted`);
      }
    }
    if (errs.length > 0) throw new Error(errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`);
  }

  private async updateStatefulPod(set: StatefulSet, pod: Pod): Promise<void> {
    let consistent = true;
    try {
      if (!identityMatches(set, pod)) consistent = false;
      if (!storageMatches(set, pod)) {
        consistent = false;
        updateStorage(set, pod);
        await this.createClaims(set, pod);
      }
      if (!this.claimsMatchRetentionPolicy(set, pod)) {
        await this.updatePodClaimForRetentionPolicy(set, pod);
        consistent = false;
      }
    } catch (e) {
      await this.recordPodEvent('update', set, pod, e);
      throw e;
    }
    if (consistent) return;
    let err: unknown;
    try {
      await this.store.guaranteedUpdate(this.defs.pod, pod.metadata.namespace, pod.metadata.name as string, (cur) => {
        const p = cur as Pod;
        if (p.metadata.uid !== pod.metadata.uid) throw new ApiError(409, 'Conflict', 'the pod was replaced');
        if (!identityMatches(set, p)) updateIdentity(set, p);
        if (!storageMatches(set, p)) updateStorage(set, p);
        return p;
      }, { fieldManager });
    } catch (e) {
      err = e;
    }
    await this.recordPodEvent('update', set, pod, err);
    if (err !== undefined) throw err;
  }

  private async deleteStatefulPod(set: StatefulSet, pod: Pod): Promise<void> {
    let err: unknown;
    try {
      await this.store.delete(this.defs.pod, pod.metadata.namespace, pod.metadata.name as string, { fieldManager });
    } catch (e) {
      err = e;
    }
    await this.recordPodEvent('delete', set, pod, err);
    if (err !== undefined) throw err;
  }

  private claimsMatchRetentionPolicy(set: StatefulSet, pod: Pod): boolean {
    const ordinal = ordinalOf(pod);
    for (const t of claimTemplates(set)) {
      const claim = this.store.peek(this.defs.pvc, set.metadata.namespace, claimName(set, t, ordinal));
      if (claim && !claimOwnerUpToDate(claim, set, pod)) return false;
    }
    return true;
  }

  private async updatePodClaimForRetentionPolicy(set: StatefulSet, pod: Pod): Promise<void> {
    const ordinal = ordinalOf(pod);
    for (const t of claimTemplates(set)) {
      const name = claimName(set, t, ordinal);
      const claim = this.store.peek(this.defs.pvc, set.metadata.namespace, name);
      if (!claim) continue;
      if (hasUnexpectedController(claim, set, pod)) {
        await this.event(set, 'Warning', 'ConflictingController',
          `PersistentVolumeClaim ${name} has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim`);
      }
      if (claimOwnerUpToDate(claim, set, pod)) continue;
      try {
        await this.store.guaranteedUpdate(this.defs.pvc, set.metadata.namespace, name, (cur) => {
          const c = cur as KubeObject;
          updateClaimOwnerRefs(c, set, pod);
          return c;
        }, { fieldManager });
      } catch (e) {
        if (isNotFound(e)) continue;
        throw new Error(`could not update claim ${name} for delete policy ownerRefs: ${(e as Error).message}`);
      }
    }
  }

  /** With whenScaled=Delete, a claim still owned by an earlier pod of the same name blocks the new pod. */
  private podClaimIsStale(set: StatefulSet, pod: Pod): boolean {
    if (retentionPolicy(set).whenScaled === 'Retain') return false;
    for (const claim of podClaims(set, pod).values()) {
      const pvc = this.store.peek(this.defs.pvc, claim.metadata.namespace, claim.metadata.name as string);
      if (pvc && hasStaleOwnerRef(pvc, pod, 'v1', 'Pod')) return true;
    }
    return false;
  }
}

/** The status as the API returns it (Go omits its zero omitempty fields). */
function statusObject(st: StatefulSetStatus, conditions: unknown[] | undefined): StatefulSetStatus {
  const out: StatefulSetStatus = {};
  if (st.observedGeneration) out.observedGeneration = st.observedGeneration;
  out.replicas = st.replicas ?? 0;
  if (st.readyReplicas) out.readyReplicas = st.readyReplicas;
  if (st.currentReplicas) out.currentReplicas = st.currentReplicas;
  if (st.updatedReplicas) out.updatedReplicas = st.updatedReplicas;
  if (st.currentRevision) out.currentRevision = st.currentRevision;
  if (st.updateRevision) out.updateRevision = st.updateRevision;
  if (st.collisionCount !== undefined) out.collisionCount = st.collisionCount;
  if (conditions && conditions.length > 0) out.conditions = conditions;
  out.availableReplicas = st.availableReplicas ?? 0;
  return out;
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace}/${obj.metadata.name}`;
}

/**
 * Start the StatefulSet controller of a cluster: it watches StatefulSets, their
 * pods and claims, and reconciles each set. Returns a function that stops it.
 */
export function startStatefulSetController(ctx: ControllerContext): () => void {
  const reg = ctx.vc.registry;
  const set = reg.find('apps', 'v1', 'statefulsets');
  const pod = reg.find('', 'v1', 'pods');
  const pvc = reg.find('', 'v1', 'persistentvolumeclaims');
  const rev = reg.find('apps', 'v1', 'controllerrevisions');
  if (!set || !pod || !pvc || !rev) return () => {};
  const sync = new StatefulSetSync(ctx, { set, pod, pvc, rev });
  const c = new Controller('statefulset', (key) => sync.sync(key));
  const setPrefix = resourcePrefix(set);
  const setsIn = (ns: string | undefined) => cached(ctx, set, ns) as StatefulSet[];

  const enqueueOwner = (obj: KubeObject | undefined) => {
    const ref = obj && controllerRefOf(obj);
    if (ref && ref.kind === setKind && ref.apiVersion.startsWith('apps/')) c.enqueue(`${obj.metadata.namespace}/${ref.name}`);
  };
  const onPod = (ev: CacheEvent) => {
    enqueueOwner(ev.obj);
    if (ev.prev && controllerRefOf(ev.prev)?.uid !== controllerRefOf(ev.obj)?.uid) enqueueOwner(ev.prev);
    if (ev.type !== 'DELETED' && !controllerRefOf(ev.obj)) {
      // An orphan: the sets that select it may want to adopt it.
      for (const s of setsIn(ev.obj.metadata.namespace)) {
        if (isObj(s.spec) && selectorMatches(s.spec.selector, ev.obj.metadata.labels ?? {})) c.enqueue(keyOf(s));
      }
    }
  };
  const onClaim = (ev: CacheEvent) => {
    if (ev.type !== 'DELETED') return;
    // A claim that went away may unblock a set waiting on a stale claim.
    for (const s of setsIn(ev.obj.metadata.namespace)) {
      const ml = isObj(s.spec) && isObj(s.spec.selector) && isObj(s.spec.selector.matchLabels) ? s.spec.selector.matchLabels : {};
      const labels = ev.obj.metadata.labels ?? {};
      if ((s.spec.volumeClaimTemplates ?? []).length > 0 && Object.entries(ml).every(([k, v]) => labels[k] === v)) c.enqueue(keyOf(s));
    }
  };
  const unsubs = [
    ctx.vc.cache.subscribe({ prefix: setPrefix, onEvent: (ev) => { if (ev.type !== 'DELETED') c.enqueue(keyOf(ev.obj)); } }),
    ctx.vc.cache.subscribe({ prefix: resourcePrefix(pod), onEvent: onPod }),
    ctx.vc.cache.subscribe({ prefix: resourcePrefix(pvc), onEvent: onClaim }),
  ];
  for (const s of setsIn(undefined)) c.enqueue(keyOf(s));
  return () => { for (const u of unsubs) u(); c.stop(); };
}
