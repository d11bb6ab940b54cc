// The arithmetic of deployments, as upstream's deployment utilities define it:
// surge and unavailability fenceposts, revisions and the annotations a
// deployment keeps on its ReplicaSets, finding the new and old ReplicaSets,
// proportional scaling, and the status and progress conditions.

import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { cloneObject } from '../../registry/generic/metadata.ts';
import {
  byCreation, equalIgnoreHash, getCondition, parseTime, roundHalfAway, scaledValue, setCondition, timestamp,
  type Condition, type LabelSelectorJson, type PodTemplate,
} from './util.ts';

export const revisionAnnotation = 'deployment.kubernetes.io/revision';
export const revisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const desiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
export const maxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';

/** Annotations of a deployment that are not copied to its ReplicaSets. */
const annotationsToSkip = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  revisionAnnotation,
  revisionHistoryAnnotation,
  desiredReplicasAnnotation,
  maxReplicasAnnotation,
  'deprecated.deployment.rollback.to',
]);

/** How long revision-history may grow. */
const maxRevHistoryLengthInChars = 2000;

const maxInt32 = 2147483647;

export const reasons = {
  replicaSetUpdated: 'ReplicaSetUpdated',
  failedRSCreate: 'ReplicaSetCreateError',
  newRS: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  newRSAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

export interface DeploymentSpec {
  replicas?: number;
  selector?: LabelSelectorJson;
  template?: PodTemplate;
  strategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: Condition[];
  collisionCount?: number;
}

export interface RSSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector?: LabelSelectorJson;
  template?: PodTemplate;
}

export interface RSStatus {
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: Condition[];
}

// ---- accessors ------------------------------------------------------------------

export function dSpec(d: KubeObject): DeploymentSpec {
  return (isPlainObject(d.spec) ? d.spec : {}) as DeploymentSpec;
}

/** The deployment's status object, created in place when missing (callers mutate it). */
export function dStatus(d: KubeObject): DeploymentStatus {
  if (!isPlainObject(d.status)) d.status = {};
  return d.status as DeploymentStatus;
}

export function dReplicas(d: KubeObject): number {
  return dSpec(d).replicas ?? 1;
}

export function rsSpec(rs: KubeObject): RSSpec {
  if (!isPlainObject(rs.spec)) rs.spec = {};
  return rs.spec as RSSpec;
}

export function rsStatus(rs: KubeObject | undefined): RSStatus {
  return (rs && isPlainObject(rs.status) ? rs.status : {}) as RSStatus;
}

export function rsReplicas(rs: KubeObject): number {
  return (isPlainObject(rs.spec) ? (rs.spec as RSSpec).replicas : undefined) ?? 1;
}

export function isRollingUpdate(d: KubeObject): boolean {
  return dSpec(d).strategy?.type === 'RollingUpdate';
}

export function hasProgressDeadline(d: KubeObject): boolean {
  const p = dSpec(d).progressDeadlineSeconds;
  return p !== undefined && p !== null && p !== maxInt32;
}

export function hasRevisionHistoryLimit(d: KubeObject): boolean {
  const l = dSpec(d).revisionHistoryLimit;
  return l !== undefined && l !== null && l !== maxInt32;
}

export function activeReplicaSets(list: readonly (KubeObject | undefined)[]): KubeObject[] {
  return list.filter((rs): rs is KubeObject => rs !== undefined && rsReplicas(rs) > 0);
}

function sum(list: readonly (KubeObject | undefined)[], f: (rs: KubeObject) => number | undefined): number {
  let n = 0;
  for (const rs of list) if (rs) n += f(rs) ?? 0;
  return n;
}

export const specReplicaCount = (list: readonly (KubeObject | undefined)[]) => sum(list, rsReplicas);
export const actualReplicaCount = (list: readonly (KubeObject | undefined)[]) => sum(list, (rs) => rsStatus(rs).replicas);
export const readyReplicaCount = (list: readonly (KubeObject | undefined)[]) => sum(list, (rs) => rsStatus(rs).readyReplicas);
export const availableReplicaCount = (list: readonly (KubeObject | undefined)[]) => sum(list, (rs) => rsStatus(rs).availableReplicas);

// ---- surge and unavailability ---------------------------------------------------------

/** maxSurge rounded up and maxUnavailable rounded down against `desired`; never both zero. */
export function resolveFenceposts(maxSurge: unknown, maxUnavailable: unknown, desired: number): [number, number] {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

export function maxUnavailable(d: KubeObject): number {
  const want = dReplicas(d);
  if (!isRollingUpdate(d) || want === 0) return 0;
  const ru = dSpec(d).strategy?.rollingUpdate;
  let u: number;
  try { u = resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, want)[1]; } catch { return 0; }
  return Math.min(u, want);
}

export function maxSurge(d: KubeObject): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = dSpec(d).strategy?.rollingUpdate;
  try { return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, dReplicas(d))[0]; } catch { return 0; }
}

/** How many replicas the new ReplicaSet may have now. */
export function newRSNewReplicas(d: KubeObject, allRSs: readonly (KubeObject | undefined)[], newRS: KubeObject): number {
  const type = dSpec(d).strategy?.type;
  const want = dReplicas(d);
  if (type === 'RollingUpdate') {
    const surge = scaledValue(dSpec(d).strategy?.rollingUpdate?.maxSurge ?? 0, want, true);
    const current = specReplicaCount(allRSs);
    const maxTotal = want + surge;
    if (current >= maxTotal) return rsReplicas(newRS);
    const up = Math.min(maxTotal - current, want - rsReplicas(newRS));
    return rsReplicas(newRS) + up;
  }
  if (type === 'Recreate') return want;
  throw new Error(`deployment type ${type ?? ''} isn't supported`);
}

// ---- annotations and revisions ----------------------------------------------------------

/** A non-negative int32 annotation, or undefined. */
export function intAnnotation(obj: KubeObject, key: string): number | undefined {
  const v = obj.metadata.annotations?.[key];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n >= 0 && n <= maxInt32 ? n : undefined;
}

/** The revision annotation: 0 when absent, undefined when it does not parse. */
export function revisionOf(obj: KubeObject | undefined): number | undefined {
  const v = obj?.metadata.annotations?.[revisionAnnotation];
  if (v === undefined) return 0;
  return /^[+-]?\d+$/.test(v) ? Number(v) : undefined;
}

export function maxRevision(list: readonly KubeObject[]): number {
  let max = 0;
  for (const rs of list) {
    const v = revisionOf(rs);
    if (v !== undefined && v > max) max = v;
  }
  return max;
}

/** Oldest revision first; unparsable or equal revisions by creation. */
export function byRevision(a: KubeObject, b: KubeObject): number {
  const ra = revisionOf(a), rb = revisionOf(b);
  if (ra === undefined || rb === undefined || ra === rb) return byCreation(a, b);
  return ra - rb;
}

export function setReplicasAnnotations(rs: KubeObject, desired: number, max: number): boolean {
  const ann = (rs.metadata.annotations ??= {});
  let changed = false;
  if (ann[desiredReplicasAnnotation] !== String(desired)) { ann[desiredReplicasAnnotation] = String(desired); changed = true; }
  if (ann[maxReplicasAnnotation] !== String(max)) { ann[maxReplicasAnnotation] = String(max); changed = true; }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: KubeObject, desired: number, max: number): boolean {
  const ann = rs.metadata.annotations;
  return !ann || ann[desiredReplicasAnnotation] !== String(desired) || ann[maxReplicasAnnotation] !== String(max);
}

function copyDeploymentAnnotations(d: KubeObject, rs: KubeObject): boolean {
  const ann = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (annotationsToSkip.has(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  return changed;
}

/**
 * Bring the new ReplicaSet's annotations up to date: the deployment's own
 * annotations, a revision no lower than `newRevision` (remembering the one it
 * replaces in revision-history), and for a ReplicaSet about to be created the
 * desired/max replica counts. True when anything changed.
 */
export function setNewReplicaSetAnnotations(d: KubeObject, rs: KubeObject, newRevision: string, exists: boolean): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const ann = rs.metadata.annotations as Record<string, string>;
  const had = Object.prototype.hasOwnProperty.call(ann, revisionAnnotation);
  const oldRevision = had ? ann[revisionAnnotation] as string : '';
  let oldInt = 0;
  if (oldRevision !== '') {
    if (!/^[+-]?\d+$/.test(oldRevision)) return false;
    oldInt = Number(oldRevision);
  }
  const newInt = Number(newRevision);
  if (oldInt < newInt) {
    ann[revisionAnnotation] = newRevision;
    changed = true;
  }
  if (had && oldInt < newInt) {
    const history = ann[revisionHistoryAnnotation] ?? '';
    const olds = history.split(',');
    if ((olds[0] as string).length === 0) {
      ann[revisionHistoryAnnotation] = oldRevision;
    } else {
      let total = history.length + oldRevision.length + 1;
      let start = 0;
      while (total > maxRevHistoryLengthInChars && start < olds.length) {
        total -= (olds[start] as string).length + 1;
        start++;
      }
      if (total <= maxRevHistoryLengthInChars) ann[revisionHistoryAnnotation] = [...olds.slice(start), oldRevision].join(',');
    }
  }
  if (!exists && setReplicasAnnotations(rs, dReplicas(d), dReplicas(d) + maxSurge(d))) changed = true;
  return changed;
}

/** Set the deployment's revision annotation; true when it changed. */
export function setDeploymentRevision(d: KubeObject, revision: string): boolean {
  const ann = (d.metadata.annotations ??= {});
  if (ann[revisionAnnotation] === revision) return false;
  ann[revisionAnnotation] = revision;
  return true;
}

// ---- new and old ReplicaSets ----------------------------------------------------------------

/** The oldest ReplicaSet whose template is the deployment's (ignoring the hash label). */
export function findNewReplicaSet(d: KubeObject, rsList: readonly KubeObject[]): KubeObject | undefined {
  const template = dSpec(d).template;
  return [...rsList].sort(byCreation).find((rs) => equalIgnoreHash(rsSpec(rs).template, template));
}

/** Every ReplicaSet but the new one. */
export function findOldReplicaSets(d: KubeObject, rsList: readonly KubeObject[]): KubeObject[] {
  const newRS = findNewReplicaSet(d, rsList);
  return rsList.filter((rs) => !newRS || rs.metadata.uid !== newRS.metadata.uid);
}

/** The only active ReplicaSet, or the newest when none is active; undefined when several are active. */
export function findActiveOrLatest(newRS: KubeObject | undefined, oldRSs: readonly KubeObject[]): KubeObject | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeReplicaSets([...olds, newRS]);
  if (active.length === 0) return newRS ?? olds[0];
  if (active.length === 1) return active[0];
  return undefined;
}

export function isSaturated(d: KubeObject, rs: KubeObject | undefined): boolean {
  if (!rs) return false;
  const desired = intAnnotation(rs, desiredReplicasAnnotation);
  if (desired === undefined) return false;
  const want = dReplicas(d);
  return rsReplicas(rs) === want && desired === want && (rsStatus(rs).availableReplicas ?? 0) === want;
}

function replicaSetFraction(rs: KubeObject, d: KubeObject): number {
  if (dReplicas(d) === 0) return -rsReplicas(rs);
  const dMax = dReplicas(d) + maxSurge(d);
  let before = intAnnotation(rs, maxReplicasAnnotation);
  if (before === undefined || before === 0) {
    before = dStatus(d).replicas ?? 0;
    if (before === 0) return 0;
  }
  return roundHalfAway((rsReplicas(rs) * dMax) / before) - rsReplicas(rs);
}

/** How many of `toAdd` replicas this ReplicaSet takes in proportional scaling. */
export function replicaSetProportion(rs: KubeObject | undefined, d: KubeObject, toAdd: number, added: number): number {
  if (!rs || rsReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** Larger first; equal sizes newer first (scaling up). */
export function bySizeNewer(a: KubeObject, b: KubeObject): number {
  return rsReplicas(b) - rsReplicas(a) || byCreation(b, a);
}

/** Larger first; equal sizes older first (scaling down). */
export function bySizeOlder(a: KubeObject, b: KubeObject): number {
  return rsReplicas(b) - rsReplicas(a) || byCreation(a, b);
}

// ---- status ------------------------------------------------------------------------------------

export function newDeploymentCondition(type: string, status: string, reason: string, message: string, now: Date): Condition {
  const t = timestamp(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/** Field order and omitted zeros as the API serializes a Deployment status. */
export function serializeDeploymentStatus(s: DeploymentStatus): DeploymentStatus {
  const out: DeploymentStatus = {};
  if (s.observedGeneration) out.observedGeneration = s.observedGeneration;
  if (s.replicas) out.replicas = s.replicas;
  if (s.updatedReplicas) out.updatedReplicas = s.updatedReplicas;
  if (s.readyReplicas) out.readyReplicas = s.readyReplicas;
  if (s.availableReplicas) out.availableReplicas = s.availableReplicas;
  if (s.unavailableReplicas) out.unavailableReplicas = s.unavailableReplicas;
  if (s.conditions && s.conditions.length > 0) out.conditions = s.conditions;
  if (s.collisionCount !== undefined && s.collisionCount !== null) out.collisionCount = s.collisionCount;
  return out;
}

/** The counts of a deployment's ReplicaSets and its Available condition. */
export function calculateStatus(allRSs: readonly (KubeObject | undefined)[], newRS: KubeObject | undefined, d: KubeObject, now: Date): DeploymentStatus {
  const available = availableReplicaCount(allRSs);
  const total = specReplicaCount(allRSs);
  const prev = dStatus(d);
  const st: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: actualReplicaCount(allRSs),
    updatedReplicas: newRS ? actualReplicaCount([newRS]) : 0,
    readyReplicas: readyReplicaCount(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
    conditions: prev.conditions ? cloneObject(prev.conditions) : undefined,
    collisionCount: prev.collisionCount,
  };
  if (available >= dReplicas(d) - maxUnavailable(d)) {
    setCondition(st, newDeploymentCondition('Available', 'True', reasons.minimumReplicasAvailable, 'Deployment has minimum availability.', now));
  } else {
    setCondition(st, newDeploymentCondition('Available', 'False', reasons.minimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
  }
  return serializeDeploymentStatus(st);
}

/** Every replica updated, present and available, and the latest spec observed. */
export function deploymentComplete(d: KubeObject, st: DeploymentStatus): boolean {
  const want = dReplicas(d);
  return (st.updatedReplicas ?? 0) === want && (st.replicas ?? 0) === want && (st.availableReplicas ?? 0) === want &&
    (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** Whether `st` shows progress over the deployment's current status. */
export function deploymentProgressing(d: KubeObject, st: DeploymentStatus): boolean {
  const old = dStatus(d);
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (st.replicas ?? 0) - (st.updatedReplicas ?? 0);
  return (st.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld ||
    (st.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (st.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

export function deploymentTimedOut(d: KubeObject, st: DeploymentStatus, now: Date): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(st.conditions, 'Progressing');
  if (!c) return false;
  if (c.reason === reasons.newRSAvailable) return false;
  if (c.reason === reasons.timedOut) return true;
  const from = parseTime(c.lastUpdateTime) ?? 0;
  return from + (dSpec(d).progressDeadlineSeconds ?? 0) * 1000 < now.getTime();
}
