// The Deployment controller: owns ReplicaSets named <deployment>-<pod-template-hash>,
// rolls a changed template out (RollingUpdate within maxSurge/maxUnavailable,
// or Recreate), scales proportionally, keeps revisions and their history,
// honours spec.paused, cleans up beyond revisionHistoryLimit, and reports
// status with the Available, Progressing and ReplicaFailure conditions.

import type { KubeObject } from '../../api/types.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import { cloneObject, jsonEqual } from '../../registry/generic/metadata.ts';
import type { GenericStore } from '../../registry/generic/store.ts';
import type { CacheEvent } from '../../registry/generic/watch-cache.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { ControllerContext } from '../context.ts';
import { Controller, type Result } from '../runtime.ts';
import {
  activeReplicaSets, actualReplicaCount, availableReplicaCount, byRevision, bySizeNewer, bySizeOlder, calculateStatus,
  dReplicas, dSpec, dStatus, deploymentComplete, deploymentProgressing, deploymentTimedOut, findActiveOrLatest,
  findNewReplicaSet, findOldReplicaSets, hasProgressDeadline, hasRevisionHistoryLimit, intAnnotation, isRollingUpdate,
  isSaturated, maxRevision, maxSurge, maxUnavailable, newDeploymentCondition, newRSNewReplicas, reasons,
  replicaSetProportion, replicasAnnotationsNeedUpdate, rsReplicas, rsSpec, rsStatus, serializeDeploymentStatus,
  setDeploymentRevision, setNewReplicaSetAnnotations, setReplicasAnnotations, specReplicaCount, desiredReplicasAnnotation, revisionAnnotation,
  type DeploymentStatus,
} from './deployment-util.ts';
import {
  byCreation, claimChildren, cloneSelectorAndAddLabel, computeHash, controllerOf, equalIgnoreHash, fieldManager,
  getCondition, isAlreadyExists, isConflict, isNamespaceTerminating, isNotFound, keyOf, labelSelectorOf,
  newControllerRef, parseTime, podStatus, podTemplateHashLabel, refersTo, removeCondition, setCondition, splitKey,
  type Condition,
} from './util.ts';

const component = 'deployment-controller';

interface Shared {
  ctx: ControllerContext;
  store: GenericStore;
  dDef: ResourceDef;
  rsDef: ResourceDef;
  podDef: ResourceDef;
  rsPrefix: string;
  podPrefix: string;
}

/** One sync of one deployment: the deployment as last written and the ReplicaSets it owns. */
class DeploymentSync {
  private readonly s: Shared;
  private d: KubeObject;
  private rsList: KubeObject[] = [];

  constructor(s: Shared, d: KubeObject) {
    this.s = s;
    this.d = d;
  }

  private get ns(): string { return this.d.metadata.namespace as string; }
  private get name(): string { return this.d.metadata.name as string; }
  private now(): Date { return this.s.ctx.now(); }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    return this.s.ctx.events.record(this.d, type, reason, message, component);
  }

  async run(): Promise<Result | void> {
    const spec = dSpec(this.d);
    const sel = spec.selector;
    if (sel && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) {
      await this.event('Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      const st = dStatus(this.d);
      if ((st.observedGeneration ?? 0) < (this.d.metadata.generation ?? 0)) {
        st.observedGeneration = this.d.metadata.generation;
        await this.write(false, true);
      }
      return;
    }
    this.rsList = await this.claimReplicaSets();
    if (this.d.metadata.deletionTimestamp) return this.syncStatusOnly();
    await this.checkPausedConditions();
    if (spec.paused) return this.sync();
    if (await this.isScalingEvent()) return this.sync();
    const type = spec.strategy?.type;
    if (type === 'Recreate') return this.rolloutRecreate();
    if (type === 'RollingUpdate') return this.rolloutRolling();
    throw new Error(`unexpected deployment strategy type: ${type ?? ''}`);
  }

  // ---- reading and writing ----------------------------------------------------------

  private async claimReplicaSets(): Promise<KubeObject[]> {
    const all: KubeObject[] = [];
    for (const c of this.s.ctx.vc.cache.scan(`${this.s.rsPrefix}${this.ns}/`)) all.push(c.obj);
    let selector;
    try {
      selector = labelSelectorOf(dSpec(this.d).selector);
    } catch (e) {
      throw new Error(`deployment ${this.ns}/${this.name} has invalid label selector: ${(e as Error).message}`);
    }
    const uid = this.d.metadata.uid;
    return claimChildren({
      store: this.s.store, def: this.s.rsDef, owner: this.d, ownerApiVersion: 'apps/v1', ownerKind: 'Deployment',
      match: (rs) => selector.matches(rs.metadata.labels),
      canAdopt: () => {
        const fresh = this.s.store.peek(this.s.dDef, this.ns, this.name);
        if (!fresh || fresh.metadata.uid !== uid) return `original Deployment ${this.ns}/${this.name} is gone`;
        if (fresh.metadata.deletionTimestamp) return `Deployment ${this.ns}/${this.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`;
        return undefined;
      },
    }, all);
  }

  /** The latest version of a ReplicaSet this sync has seen or written. */
  private cur(rs: KubeObject): KubeObject;
  private cur(rs: KubeObject | undefined): KubeObject | undefined;
  private cur(rs: KubeObject | undefined): KubeObject | undefined {
    if (!rs) return undefined;
    return this.rsList.find((x) => x.metadata.uid === rs.metadata.uid) ?? rs;
  }

  private remember(rs: KubeObject): void {
    const i = this.rsList.findIndex((x) => x.metadata.uid === rs.metadata.uid);
    if (i >= 0) this.rsList[i] = rs; else this.rsList.push(rs);
  }

  private async updateRS(rs: KubeObject): Promise<KubeObject> {
    const { obj } = await this.s.store.update(this.s.rsDef, rs.metadata.namespace, rs.metadata.name as string, rs, { fieldManager });
    this.remember(obj);
    return obj;
  }

  /**
   * Write the deployment: its annotations (`meta`) and its status. Upstream
   * writes both through the status subresource; here annotations go through
   * the main resource, which leaves generation alone.
   */
  private async write(meta: boolean, status: boolean): Promise<void> {
    const { store, dDef } = this.s;
    if (meta) {
      const st = this.d.status;
      const { obj } = await store.update(dDef, this.ns, this.name, this.d, { fieldManager });
      this.d = cloneObject(obj);
      this.d.status = st;
    }
    if (status) {
      this.d.status = serializeDeploymentStatus(dStatus(this.d));
      const { obj } = await store.update(dDef, this.ns, this.name, this.d, { subresource: 'status', fieldManager });
      this.d = cloneObject(obj);
    }
  }

  // ---- the sync paths -----------------------------------------------------------------

  private async syncStatusOnly(): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(false);
    await this.syncDeploymentStatus([...oldRSs, newRS], newRS);
  }

  /** Scaling and paused deployments: resize without rolling anything out. */
  private async sync(): Promise<void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(false);
    await this.scale(newRS, oldRSs);
    if (dSpec(this.d).paused) await this.cleanupDeployment(oldRSs);
    await this.syncDeploymentStatus([...oldRSs, newRS], newRS);
  }

  private async checkPausedConditions(): Promise<void> {
    const d = this.d;
    if (!hasProgressDeadline(d)) return;
    const st = dStatus(d);
    const cond = getCondition(st.conditions, 'Progressing');
    if (cond?.reason === reasons.timedOut) return;
    const pausedExists = cond?.reason === reasons.paused;
    const paused = dSpec(d).paused === true;
    if (paused && !pausedExists) {
      setCondition(st, newDeploymentCondition('Progressing', 'Unknown', reasons.paused, 'Deployment is paused', this.now()));
    } else if (!paused && pausedExists) {
      setCondition(st, newDeploymentCondition('Progressing', 'Unknown', reasons.resumed, 'Deployment is resumed', this.now()));
    } else {
      return;
    }
    await this.write(false, true);
  }

  /** Does an active ReplicaSet remember a different desired size than spec.replicas? */
  private async isScalingEvent(): Promise<boolean> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(false);
    for (const rs of activeReplicaSets([...oldRSs, newRS])) {
      const desired = intAnnotation(rs, desiredReplicasAnnotation);
      if (desired === undefined) continue;
      if (desired !== dReplicas(this.d)) return true;
    }
    return false;
  }

  private async getAllReplicaSetsAndSyncRevision(create: true): Promise<{ newRS: KubeObject; oldRSs: KubeObject[] }>;
  private async getAllReplicaSetsAndSyncRevision(create: boolean): Promise<{ newRS: KubeObject | undefined; oldRSs: KubeObject[] }>;
  private async getAllReplicaSetsAndSyncRevision(create: boolean): Promise<{ newRS: KubeObject | undefined; oldRSs: KubeObject[] }> {
    const oldRSs = findOldReplicaSets(this.d, this.rsList);
    const newRS = await this.getNewReplicaSet(oldRSs, create);
    return { newRS, oldRSs };
  }

  /**
   * The ReplicaSet running the deployment's template, its revision brought up
   * to date (and the deployment's with it); created when `create` and missing.
   */
  private async getNewReplicaSet(oldRSs: KubeObject[], create: boolean): Promise<KubeObject | undefined> {
    const d = this.d;
    const spec = dSpec(d);
    const st = dStatus(d);
    const existing = findNewReplicaSet(d, this.rsList);
    const newRevision = String(maxRevision(oldRSs) + 1);
    const minReady = spec.minReadySeconds ?? 0;

    if (existing) {
      const copy = cloneObject(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      if (annotationsChanged || (rsSpec(copy).minReadySeconds ?? 0) !== minReady) {
        if (minReady) rsSpec(copy).minReadySeconds = minReady; else delete rsSpec(copy).minReadySeconds;
        return this.updateRS(copy);
      }
      const metaChanged = setDeploymentRevision(d, copy.metadata.annotations?.[revisionAnnotation] ?? '');
      let statusChanged = false;
      if (hasProgressDeadline(d) && !getCondition(st.conditions, 'Progressing')) {
        setCondition(st, newDeploymentCondition('Progressing', 'True', reasons.foundNewRS, `Found new replica set "${copy.metadata.name}"`, this.now()));
        statusChanged = true;
      }
      if (metaChanged || statusChanged) await this.write(metaChanged, statusChanged);
      return copy;
    }
    if (!create) return undefined;

    const template = cloneObject(spec.template ?? {});
    const hash = computeHash(spec.template, st.collisionCount ?? undefined);
    template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [podTemplateHashLabel]: hash } };
    const name = `${this.name}-${hash}`;
    const newRS: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name,
        namespace: this.ns,
        labels: { ...(template.metadata.labels as Record<string, string>) },
        ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
      },
      spec: {
        replicas: 0,
        ...(minReady ? { minReadySeconds: minReady } : {}),
        selector: cloneSelectorAndAddLabel(spec.selector, podTemplateHashLabel, hash),
        template,
      },
    };
    const count = newRSNewReplicas(d, [...oldRSs, newRS], newRS);
    rsSpec(newRS).replicas = count;
    setNewReplicaSetAnnotations(d, newRS, newRevision, false);

    let created: KubeObject;
    let alreadyExists = false;
    try {
      created = await this.s.store.create(this.s.rsDef, this.ns, newRS, { fieldManager });
    } catch (e) {
      if (isAlreadyExists(e)) {
        const rs = this.s.store.peek(this.s.rsDef, this.ns, name);
        if (!rs) throw e;
        if (controllerOf(rs)?.uid === d.metadata.uid && equalIgnoreHash(spec.template, rsSpec(rs).template)) {
          created = rs;
          alreadyExists = true;
        } else {
          // A hash collision: bump collisionCount, and the next sync picks another name.
          st.collisionCount = (st.collisionCount ?? 0) + 1;
          await this.write(false, true);
          throw e;
        }
      } else if (isNamespaceTerminating(e)) {
        throw e;
      } else {
        const msg = `Failed to create new replica set "${name}": ${(e as Error).message}`;
        if (hasProgressDeadline(d)) {
          setCondition(st, newDeploymentCondition('Progressing', 'False', reasons.failedRSCreate, msg, this.now()));
          try { await this.write(false, true); } catch { /* the create failure is what matters */ }
        }
        await this.event('Warning', reasons.failedRSCreate, msg);
        throw e;
      }
    }
    this.remember(created);
    if (!alreadyExists && count > 0) {
      await this.event('Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${count}`);
    }
    const metaChanged = setDeploymentRevision(this.d, newRevision);
    let statusChanged = false;
    if (!alreadyExists && hasProgressDeadline(this.d)) {
      setCondition(dStatus(this.d), newDeploymentCondition('Progressing', 'True', reasons.newRS, `Created new replica set "${name}"`, this.now()));
      statusChanged = true;
    }
    if (metaChanged || statusChanged) await this.write(metaChanged, statusChanged);
    return created;
  }

  // ---- scaling ---------------------------------------------------------------------------

  /** Resize for a changed spec.replicas: one active ReplicaSet takes it all, several share it proportionally. */
  private async scale(newRS: KubeObject | undefined, oldRSs: KubeObject[]): Promise<void> {
    const d = this.d;
    const want = dReplicas(d);
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest) {
      if (rsReplicas(activeOrLatest) === want) return;
      await this.scaleAndRecord(activeOrLatest, want);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of activeReplicaSets(oldRSs)) await this.scaleAndRecord(old, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const all = activeReplicaSets([...oldRSs, newRS]);
    const allowed = want > 0 ? want + maxSurge(d) : 0;
    const toAdd = allowed - specReplicaCount(all);
    if (toAdd > 0) all.sort(bySizeNewer);
    else if (toAdd < 0) all.sort(bySizeOlder);
    let added = 0;
    const sizes = new Map<string, number>();
    for (const rs of all) {
      if (toAdd !== 0) {
        const p = replicaSetProportion(rs, d, toAdd, added);
        sizes.set(rs.metadata.uid as string, rsReplicas(rs) + p);
        added += p;
      } else {
        sizes.set(rs.metadata.uid as string, rsReplicas(rs));
      }
    }
    for (let i = 0; i < all.length; i++) {
      const rs = all[i] as KubeObject;
      const uid = rs.metadata.uid as string;
      if (i === 0 && toAdd !== 0) sizes.set(uid, Math.max(0, (sizes.get(uid) ?? 0) + toAdd - added));
      await this.scaleReplicaSet(rs, sizes.get(uid) ?? 0);
    }
  }

  private async scaleAndRecord(rs: KubeObject, newScale: number): Promise<{ scaled: boolean; rs: KubeObject }> {
    if (rsReplicas(rs) === newScale) return { scaled: false, rs };
    return this.scaleReplicaSet(rs, newScale);
  }

  /** Set a ReplicaSet's size and its desired/max annotations; ScalingReplicaSet when the size changed. */
  private async scaleReplicaSet(rs: KubeObject, newScale: number): Promise<{ scaled: boolean; rs: KubeObject }> {
    const fresh = this.cur(rs);
    const want = dReplicas(this.d);
    const max = want + maxSurge(this.d);
    const sizeChanged = rsReplicas(fresh) !== newScale;
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(fresh, want, max)) return { scaled: false, rs: fresh };
    const oldScale = rsReplicas(fresh);
    const copy = cloneObject(fresh);
    rsSpec(copy).replicas = newScale;
    setReplicasAnnotations(copy, want, max);
    const updated = await this.updateRS(copy);
    if (sizeChanged) {
      const op = oldScale < newScale ? 'up' : 'down';
      await this.event('Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${updated.metadata.name} from ${oldScale} to ${newScale}`);
    }
    return { scaled: sizeChanged, rs: updated };
  }

  // ---- rolling update ---------------------------------------------------------------------

  private async rolloutRolling(): Promise<Result | void> {
    const { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(true);
    const all = [...oldRSs, newRS];
    if (await this.reconcileNewReplicaSet(all, newRS)) return this.syncRolloutStatus(all, newRS);
    if (await this.reconcileOldReplicaSets(all, activeReplicaSets(oldRSs), newRS)) return this.syncRolloutStatus(all, newRS);
    if (deploymentComplete(this.d, dStatus(this.d))) await this.cleanupDeployment(oldRSs);
    return this.syncRolloutStatus(all, newRS);
  }

  private async reconcileNewReplicaSet(all: KubeObject[], newRS: KubeObject): Promise<boolean> {
    const want = dReplicas(this.d);
    const have = rsReplicas(newRS);
    if (have === want) return false;
    if (have > want) return (await this.scaleAndRecord(newRS, want)).scaled;
    return (await this.scaleAndRecord(newRS, newRSNewReplicas(this.d, all, newRS))).scaled;
  }

  private async reconcileOldReplicaSets(all: KubeObject[], oldRSs: KubeObject[], newRS: KubeObject): Promise<boolean> {
    if (specReplicaCount(oldRSs) === 0) return false;
    const minAvailable = dReplicas(this.d) - maxUnavailable(this.d);
    const newUnavailable = rsReplicas(newRS) - (rsStatus(newRS).availableReplicas ?? 0);
    // Scale down only as far as availability allows, counting the new pods that are not available yet.
    const maxScaledDown = specReplicaCount(all) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    let cleaned: { oldRSs: KubeObject[]; count: number };
    try {
      cleaned = await this.cleanupUnhealthyReplicas(oldRSs, maxScaledDown);
    } catch {
      return false;
    }
    let scaledDown: number;
    try {
      scaledDown = await this.scaleDownOldReplicaSetsForRollingUpdate([...cleaned.oldRSs, newRS], cleaned.oldRSs);
    } catch {
      return false;
    }
    return cleaned.count + scaledDown > 0;
  }

  /** Scale old ReplicaSets down by their unavailable replicas first: that costs no availability. */
  private async cleanupUnhealthyReplicas(oldRSs: KubeObject[], maxCleanup: number): Promise<{ oldRSs: KubeObject[]; count: number }> {
    const list = [...oldRSs].sort(byCreation);
    let total = 0;
    for (let i = 0; i < list.length; i++) {
      if (total >= maxCleanup) break;
      const rs = list[i] as KubeObject;
      const replicas = rsReplicas(rs);
      const available = rsStatus(rs).availableReplicas ?? 0;
      if (replicas === 0 || replicas === available) continue;
      const n = Math.min(maxCleanup - total, replicas - available);
      const next = replicas - n;
      if (next > replicas) {
        throw new Error(`when cleaning up unhealthy replicas, got invalid request to scale down ${rs.metadata.namespace}/${rs.metadata.name} ${replicas} -> ${next}`);
      }
      const { rs: updated } = await this.scaleAndRecord(rs, next);
      total += n;
      list[i] = updated;
    }
    return { oldRSs: list, count: total };
  }

  private async scaleDownOldReplicaSetsForRollingUpdate(all: KubeObject[], oldRSs: KubeObject[]): Promise<number> {
    const minAvailable = dReplicas(this.d) - maxUnavailable(this.d);
    const available = availableReplicaCount(all);
    if (available <= minAvailable) return 0;
    const list = [...oldRSs].sort(byCreation);
    const target = available - minAvailable;
    let total = 0;
    for (const rs of list) {
      if (total >= target) break;
      const replicas = rsReplicas(rs);
      if (replicas === 0) continue;
      const n = Math.min(replicas, target - total);
      const next = replicas - n;
      if (next > replicas) {
        throw new Error(`when scaling down old RS, got invalid request to scale down ${rs.metadata.namespace}/${rs.metadata.name} ${replicas} -> ${next}`);
      }
      await this.scaleAndRecord(rs, next);
      total += n;
    }
    return total;
  }

  // ---- recreate -------------------------------------------------------------------------------

  private async rolloutRecreate(): Promise<Result | void> {
    let { newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(false);
    let all: (KubeObject | undefined)[] = [...oldRSs, newRS];
    // Everything old goes first, and no new pod starts while an old one still runs.
    let scaledDown = false;
    for (const rs of activeReplicaSets(oldRSs)) {
      if ((await this.scaleAndRecord(rs, 0)).scaled) scaledDown = true;
    }
    if (scaledDown) return this.syncRolloutStatus(all, newRS);
    if (this.oldPodsRunning(newRS, oldRSs)) return this.syncRolloutStatus(all, newRS);
    if (!newRS) {
      ({ newRS, oldRSs } = await this.getAllReplicaSetsAndSyncRevision(true));
      all = [...oldRSs, newRS];
    }
    await this.scaleAndRecord(newRS as KubeObject, dReplicas(this.d));
    if (deploymentComplete(this.d, dStatus(this.d))) await this.cleanupDeployment(oldRSs);
    return this.syncRolloutStatus(all, newRS);
  }

  private oldPodsRunning(newRS: KubeObject | undefined, oldRSs: KubeObject[]): boolean {
    if (actualReplicaCount(oldRSs.map((rs) => this.cur(rs))) > 0) return true;
    const owned = new Set(this.rsList.map((rs) => rs.metadata.uid as string));
    if (newRS) owned.delete(newRS.metadata.uid as string);
    const selector = labelSelectorOf(dSpec(this.d).selector);
    for (const uid of owned) {
      for (const c of this.s.ctx.vc.cache.controlledBy(`${this.s.podPrefix}${this.ns}/`, uid)) {
        const pod = c.obj;
        if (!selector.matches(pod.metadata.labels)) continue;
        const phase = podStatus(pod).phase;
        if (phase === 'Failed' || phase === 'Succeeded') continue;
        return true;
      }
    }
    return false;
  }

  // ---- history -------------------------------------------------------------------------------------

  /** Delete the oldest scaled-down ReplicaSets beyond revisionHistoryLimit. */
  private async cleanupDeployment(oldRSs: KubeObject[]): Promise<void> {
    const d = this.d;
    if (!hasRevisionHistoryLimit(d)) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = cleanable.length - (dSpec(d).revisionHistoryLimit ?? 0);
    if (diff <= 0) return;
    cleanable.sort(byRevision);
    for (let i = 0; i < diff; i++) {
      const rs = cleanable[i] as KubeObject;
      const st = rsStatus(rs);
      if ((st.replicas ?? 0) !== 0 || rsReplicas(rs) !== 0 || (rs.metadata.generation ?? 0) > (st.observedGeneration ?? 0) || rs.metadata.deletionTimestamp) continue;
      try {
        await this.s.store.delete(this.s.rsDef, rs.metadata.namespace, rs.metadata.name as string, { fieldManager });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      this.rsList = this.rsList.filter((x) => x.metadata.uid !== rs.metadata.uid);
    }
  }

  // ---- status ---------------------------------------------------------------------------------------

  private async syncDeploymentStatus(all: (KubeObject | undefined)[], newRS: KubeObject | undefined): Promise<void> {
    const st = calculateStatus(all.map((rs) => this.cur(rs)), this.cur(newRS), this.d, this.now());
    if (jsonEqual(serializeDeploymentStatus(dStatus(this.d)), st)) return;
    this.d.status = st;
    await this.write(false, true);
  }

  /** Status with the Progressing condition: complete, progressing, or past its deadline. */
  private async syncRolloutStatus(all: (KubeObject | undefined)[], newRS: KubeObject | undefined): Promise<Result | void> {
    const d = this.d;
    const now = this.now();
    const fresh = all.map((rs) => this.cur(rs));
    const newest = this.cur(newRS);
    const st = calculateStatus(fresh, newest, d, now);
    if (!hasProgressDeadline(d)) removeCondition(st, 'Progressing');
    const current = getCondition(dStatus(d).conditions, 'Progressing');
    const isComplete = (st.replicas ?? 0) === (st.updatedReplicas ?? 0) && current?.reason === reasons.newRSAvailable;
    if (hasProgressDeadline(d) && !isComplete) {
      const what = newest ? `ReplicaSet "${newest.metadata.name}"` : `Deployment "${this.name}"`;
      if (deploymentComplete(d, st)) {
        setCondition(st, newDeploymentCondition('Progressing', 'True', reasons.newRSAvailable, `${what} has successfully progressed.`, now));
      } else if (deploymentProgressing(d, st)) {
        // Progress refreshes lastUpdateTime even when the reason stays the same.
        const cond = newDeploymentCondition('Progressing', 'True', reasons.replicaSetUpdated, `${what} is progressing.`, now);
        if (current) {
          if (current.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
          removeCondition(st, 'Progressing');
        }
        setCondition(st, cond);
      } else if (deploymentTimedOut(d, st, now)) {
        setCondition(st, newDeploymentCondition('Progressing', 'False', reasons.timedOut, `${what} has timed out progressing.`, now));
      }
    }
    const failure = replicaFailure(fresh, newest);
    if (failure) setCondition(st, failure);
    else removeCondition(st, 'ReplicaFailure');
    const next = serializeDeploymentStatus(st);
    if (jsonEqual(serializeDeploymentStatus(dStatus(d)), next)) return this.requeueStuckDeployment(next);
    this.d.status = next;
    await this.write(false, true);
  }

  /** When a rollout shows no progress, look again once its deadline passes. */
  private requeueStuckDeployment(st: DeploymentStatus): Result | void {
    const d = this.d;
    const current = getCondition(dStatus(d).conditions, 'Progressing');
    if (!hasProgressDeadline(d) || !current) return;
    if (deploymentComplete(d, st) || current.reason === reasons.timedOut) return;
    const from = parseTime(current.lastUpdateTime) ?? 0;
    const after = from + (dSpec(d).progressDeadlineSeconds ?? 0) * 1000 - this.now().getTime();
    if (after < 1000) return { requeueAfterMs: Math.max(after, 0) + 50 };
    return { requeueAfterMs: after + 1000 };
  }
}

/** The ReplicaFailure condition of the new ReplicaSet, else of any old one, as a deployment condition. */
function replicaFailure(all: (KubeObject | undefined)[], newRS: KubeObject | undefined): Condition | undefined {
  const pick = (rs: KubeObject | undefined) => getCondition(rsStatus(rs).conditions, 'ReplicaFailure');
  const c = pick(newRS) ?? all.map(pick).find((x) => x !== undefined);
  if (!c) return undefined;
  return {
    type: c.type, status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime,
    reason: c.reason, message: c.message,
  };
}

/** Start the Deployment controller; returns a function that stops it. */
export function startDeploymentController(ctx: ControllerContext): () => void {
  const { vc } = ctx;
  const dDef = ctx.def('apps', 'v1', 'deployments');
  const rsDef = ctx.def('apps', 'v1', 'replicasets');
  const podDef = ctx.def('', 'v1', 'pods');
  const s: Shared = {
    ctx, store: vc.store, dDef, rsDef, podDef,
    rsPrefix: resourcePrefix(rsDef), podPrefix: resourcePrefix(podDef),
  };
  const dPrefix = resourcePrefix(dDef);

  const controller = new Controller('deployment', async (key) => {
    const [ns, name] = splitKey(key);
    const d = vc.store.peek(dDef, ns, name);
    if (!d) return;
    try {
      return await new DeploymentSync(s, cloneObject(d)).run();
    } catch (e) {
      // Someone else wrote first; their write brings us back with fresh state.
      if (isConflict(e)) return { requeueAfterMs: 20 };
      throw e;
    }
  }, { workers: 5 }); // upstream's --concurrent-deployment-syncs

  function deploymentsSelecting(ns: string, labels: Record<string, string> | undefined): string[] {
    const out: string[] = [];
    for (const c of vc.cache.scan(`${dPrefix}${ns}/`)) {
      let sel;
      try { sel = labelSelectorOf(dSpec(c.obj).selector); } catch { continue; }
      if (!sel.empty && sel.matches(labels)) out.push(keyOf(c.obj));
    }
    return out;
  }

  function onReplicaSet(ev: CacheEvent): void {
    const rs = ev.obj;
    const ns = rs.metadata.namespace as string;
    const ref = controllerOf(rs);
    const oldRef = controllerOf(ev.prev);
    if (refersTo(oldRef, 'apps', 'Deployment') && oldRef.uid !== ref?.uid) controller.enqueue(`${ns}/${oldRef.name}`);
    if (ref) {
      if (refersTo(ref, 'apps', 'Deployment')) controller.enqueue(`${ns}/${ref.name}`);
      return;
    }
    if (ev.type === 'DELETED') return;
    if (ev.type === 'MODIFIED' && ev.prev && !oldRef && jsonEqual(ev.prev.metadata.labels ?? {}, rs.metadata.labels ?? {})) return;
    for (const k of deploymentsSelecting(ns, rs.metadata.labels)) controller.enqueue(k);
  }

  // A Recreate rollout waits for old pods to be gone.
  function onPod(ev: CacheEvent): void {
    if (ev.type !== 'DELETED') return;
    const pod = ev.obj;
    const ns = pod.metadata.namespace as string;
    const ref = controllerOf(pod);
    if (!refersTo(ref, 'apps', 'ReplicaSet')) return;
    const rs = vc.store.peek(rsDef, ns, ref.name);
    if (!rs || rs.metadata.uid !== ref.uid) return;
    const dRef = controllerOf(rs);
    if (!refersTo(dRef, 'apps', 'Deployment')) return;
    const d = vc.store.peek(dDef, ns, dRef.name);
    if (d && d.metadata.uid === dRef.uid && dSpec(d).strategy?.type === 'Recreate') controller.enqueue(keyOf(d));
  }

  const unwatch = [
    controller.watch(vc.cache, dPrefix, (ev) => keyOf(ev.obj)),
    vc.cache.subscribe({ prefix: s.rsPrefix, onEvent: onReplicaSet }),
    vc.cache.subscribe({ prefix: s.podPrefix, onEvent: onPod }),
  ];
  for (const c of vc.cache.scan(dPrefix)) controller.enqueue(keyOf(c.obj));
  return () => { for (const u of unwatch) u(); controller.stop(); };
}
