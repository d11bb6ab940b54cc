// The eviction subresource (POST pods/<name>/eviction with a policy/v1
// Eviction): delete a pod unless that would break its PodDisruptionBudget.
// Pods already done (Succeeded, Failed), not yet running (Pending) or already
// terminating go without asking any budget. Otherwise the pod's one budget
// must allow a disruption; the eviction takes it (disruptionsAllowed - 1) and
// records the pod in status.disruptedPods before deleting, so the next
// eviction sees it gone until the disruption controller counts again. Pods
// that are not ready may go when the budget is met anyway, or always under
// unhealthyPodEvictionPolicy AlwaysAllow. The pod gets a DisruptionTarget
// condition before it is deleted with the eviction's DeleteOptions.

import { ApiError, errors, fieldError } from '../../api/errors.ts';
import type { StatusCause } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { isObj, objAt } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import type { DeleteOptions } from '../../registry/generic/store.ts';
import { cloneObject, nowTimestamp } from '../../registry/generic/metadata.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { ControllerContext } from '../context.ts';
import { updatePodCondition, findCondition } from './conditions.ts';
import { pdbsForPod, syncFailedReason, disruptionAllowedCondition, updateDisruptionAllowedCondition } from './disruption.ts';
import { isPodReady, podPhase } from './resources.ts';

/** Past this many approved-but-unconfirmed evictions a budget refuses more. */
export const maxDisruptedPodSize = 2000;

/** Attempts on conflicting writes (upstream retries 20 times). */
const retries = 20;

const manager = 'kube-apiserver';

export const evictionViolatesBudget = "Cannot evict pod as it would violate the pod's disruption budget.";
export const multipleBudgets = 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.';

export interface EvictOptions {
  /** The request's dryRun=All. */
  dryRun?: boolean;
}

function statusObject(status: 'Success' | 'Failure', code: number, message?: string): KubeObject {
  const s: KubeObject = { kind: 'Status', apiVersion: 'v1', metadata: {}, status };
  if (message !== undefined) s.message = message;
  s.code = code;
  return s;
}

function isConflict(e: unknown): boolean {
  return e instanceof ApiError && e.code === 409;
}

function tooManyRequests(message: string, cause: string, retryAfterSeconds: number): ApiError {
  const causes: StatusCause[] = [{ reason: 'DisruptionBudget', message: cause }];
  if (retryAfterSeconds > 0) {
    return new ApiError(429, 'TooManyRequests', message, { causes, retryAfterSeconds }, { 'Retry-After': String(retryAfterSeconds) });
  }
  return new ApiError(429, 'TooManyRequests', message, { causes });
}

/** The 429 of a budget whose status does not yet reflect its spec, or an eviction that raced a readiness change. */
function stillProcessing(pdbName: string): ApiError {
  return tooManyRequests(evictionViolatesBudget, `The disruption budget ${pdbName} is still being processed by the server.`, 10);
}

function budgetForbidden(pdbName: string, message: string, cause: string): ApiError {
  return new ApiError(403, 'Forbidden', `poddisruptionbudget.policy "${pdbName}" is forbidden: ${message}`, {
    name: pdbName, group: 'policy', kind: 'poddisruptionbudget', causes: [{ reason: 'DisruptionBudget', message: cause }],
  });
}

/** Why a budget with no disruptions left refuses, as the cause says it. */
function deniedCause(pdb: KubeObject): string {
  const st = objAt(pdb.status) ?? {};
  const name = pdb.metadata.name;
  const cond = findCondition(st.conditions, disruptionAllowedCondition);
  const failedWithMessage = cond && cond.status === 'False' && typeof cond.message === 'string' && cond.message.length > 0;
  const current = typeof st.currentHealthy === 'number' ? st.currentHealthy : 0;
  const desired = typeof st.desiredHealthy === 'number' ? st.desiredHealthy : 0;
  if (failedWithMessage && cond.reason === syncFailedReason) {
    return `The disruption budget ${name} does not allow evicting pods currently because it failed sync: ${cond.message}`;
  }
  if (current <= desired) return `The disruption budget ${name} needs ${desired} healthy pods and has ${current} currently`;
  if (failedWithMessage) return `The disruption budget ${name} does not allow evicting pods currently (${String(cond.reason)}): ${cond.message}`;
  return `The disruption budget ${name} does not allow evicting pods currently`;
}

/** Pods whose eviction needs no budget: finished, not started, or already terminating. */
function canIgnoreBudget(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata.deletionTimestamp;
}

function shouldEnforceResourceVersion(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return !(phase === 'Succeeded' || phase === 'Failed' || pod.metadata.deletionTimestamp);
}

/** The store's delete options from a metav1.DeleteOptions. */
function deleteOptionsOf(raw: Obj | undefined, dryRun: boolean): DeleteOptions {
  const out: DeleteOptions = { dryRun };
  if (!raw) return out;
  if (typeof raw.gracePeriodSeconds === 'number') out.gracePeriodSeconds = raw.gracePeriodSeconds;
  const pre = objAt(raw.preconditions);
  if (pre) {
    const p: { uid?: string; resourceVersion?: string } = {};
    if (typeof pre.uid === 'string' && pre.uid !== '') p.uid = pre.uid;
    if (typeof pre.resourceVersion === 'string' && pre.resourceVersion !== '') p.resourceVersion = pre.resourceVersion;
    out.preconditions = p;
  }
  const policy = raw.propagationPolicy;
  if (policy === 'Orphan' || policy === 'Background' || policy === 'Foreground') out.propagationPolicy = policy;
  else if (raw.orphanDependents === true) out.propagationPolicy = 'Orphan';
  else if (raw.orphanDependents === false) out.propagationPolicy = 'Background';
  return out;
}

function withResourceVersion(opts: DeleteOptions, rv: string | undefined): DeleteOptions {
  return { ...opts, preconditions: { ...(opts.preconditions ?? {}), resourceVersion: rv } };
}

function rvUnset(opts: DeleteOptions): boolean {
  return !opts.preconditions?.resourceVersion;
}

/** The dry-run of the request and of the eviction's DeleteOptions must agree. */
function mergeDryRun(body: unknown, query: boolean): boolean {
  const fromBody = Array.isArray(body) ? body.map(String) : [];
  const fromQuery = query ? ['All'] : [];
  if (fromBody.length > 0 && fromQuery.length > 0 && fromBody.join(',') !== fromQuery.join(',')) {
    throw errors.internal(`Non-matching dry-run options in request and content: [${fromQuery.join(' ')}] and [${fromBody.join(' ')}]`);
  }
  return (fromBody.length > 0 ? fromBody : fromQuery).includes('All');
}

/**
 * Evict pod `name` in `namespace` as the pods/eviction subresource does.
 * `eviction` is the request body (policy/v1 or v1beta1 Eviction). Returns the
 * Status to answer with (its `code` is the HTTP status: 201 on success, 500
 * when the pod has several budgets); refusals are thrown as ApiErrors (429
 * with a DisruptionBudget cause while the budget allows no disruption, 404
 * for a missing pod, 409 for failed preconditions).
 */
export async function evictPod(ctx: ControllerContext, namespace: string, name: string, eviction: KubeObject,
  opts: EvictOptions = {}): Promise<KubeObject> {
  const vc = ctx.vc;
  const podDef = ctx.def('', 'v1', 'pods');
  const pdbDef = vc.registry.find('policy', 'v1', 'poddisruptionbudgets');
  const meta = isObj(eviction.metadata) ? eviction.metadata : {};
  if (meta.name !== name) throw errors.badRequest('name in URL does not match name in Eviction object');
  if (meta.namespace && meta.namespace !== namespace) {
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const rawOptions = objAt(eviction.deleteOptions);
  if (rawOptions?.ignoreStoreReadErrorWithClusterBreakingPotential === true) {
    throw errors.invalid({ group: 'policy', kind: 'Eviction' }, name, [fieldError.invalid(
      'deleteOptions.ignoreStoreReadErrorWithClusterBreakingPotential', true, 'can not be set for pod eviction, try after removing the option')]);
  }
  const dryRun = mergeDryRun(rawOptions?.dryRun, opts.dryRun ?? false);
  const original = deleteOptionsOf(rawOptions, dryRun);

  /** Mark the pod as disrupted (unless a dry run), then delete it. */
  const addConditionAndDelete = async (options: DeleteOptions): Promise<void> => {
    let deleteOptions = options;
    if (!dryRun) {
      const r = await vc.store.guaranteedUpdate(podDef, namespace, name, (cur) => {
        const latest = cur as KubeObject;
        const pre = options.preconditions;
        if (pre?.uid && pre.uid !== latest.metadata.uid) {
          throw errors.conflict({ group: '', resource: 'Pod' }, name,
            `the UID in the precondition (${pre.uid}) does not match the UID in record (${latest.metadata.uid ?? ''}). The object might have been deleted and then recreated`);
        }
        if (pre?.resourceVersion && pre.resourceVersion !== latest.metadata.resourceVersion) {
          throw errors.conflict({ group: '', resource: 'Pod' }, name,
            `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${latest.metadata.resourceVersion ?? ''}). The object might have been modified`);
        }
        const st = (objAt(latest.status) ?? {}) as Obj;
        const conds: Obj[] = Array.isArray(st.conditions) ? st.conditions.filter(isObj) : [];
        updatePodCondition(conds, { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' }, ctx.now());
        st.conditions = conds;
        latest.status = st;
        return latest;
      }, { subresource: 'status', fieldManager: manager });
      if (!rvUnset(deleteOptions)) deleteOptions = withResourceVersion(deleteOptions, r.obj.metadata.resourceVersion);
    }
    await vc.store.delete(podDef, namespace, name, deleteOptions);
  };

  // Pods that need no budget go at once.
  let pod: KubeObject | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      pod = await vc.store.get(podDef, namespace, name);
      if (!canIgnoreBudget(pod)) break;
      let options = original;
      if (shouldEnforceResourceVersion(pod) && rvUnset(original)) options = withResourceVersion(original, pod.metadata.resourceVersion);
      await addConditionAndDelete(options);
      return statusObject('Success', 201);
    } catch (e) {
      if (isConflict(e) && rvUnset(original) && attempt < retries) continue;
      throw e;
    }
  }

  const pdbs = pdbDef ? pdbsForPod(vc, pod) : [];
  if (pdbs.length > 1) return statusObject('Failure', 500, multipleBudgets);
  let updateDeletionOptions = false;
  let pdbName = '';
  if (pdbs.length === 1 && pdbDef) {
    let pdb = pdbs[0] as KubeObject;
    pdbName = pdb.metadata.name as string;
    let checkBudget = true;
    if (!isPodReady(pod)) {
      const policy = objAt(pdb.spec)?.unhealthyPodEvictionPolicy;
      const st = objAt(pdb.status) ?? {};
      const current = typeof st.currentHealthy === 'number' ? st.currentHealthy : 0;
      const desired = typeof st.desiredHealthy === 'number' ? st.desiredHealthy : 0;
      // An unhealthy pod does not count towards the budget: it may go without taking a disruption.
      if (policy === 'AlwaysAllow' || (current >= desired && desired > 0)) {
        updateDeletionOptions = true;
        checkBudget = false;
      }
    }
    for (let attempt = 0; checkBudget; attempt++) {
      try {
        await checkAndDecrement(ctx, pdbDef, pdb, name, dryRun);
        break;
      } catch (e) {
        if (!isConflict(e) || attempt >= retries) throw e;
        pdb = await vc.store.get(pdbDef, namespace, pdbName);
      }
    }
  }

  // No budget, or the budget took this disruption, or the pod was unhealthy and the budget is met.
  const options = updateDeletionOptions ? withResourceVersion(original, pod.metadata.resourceVersion) : original;
  try {
    await addConditionAndDelete(options);
  } catch (e) {
    // The pod changed (became ready?) since it was judged: let the client come back.
    if (isConflict(e) && updateDeletionOptions && rvUnset(original)) throw stillProcessing(pdbName);
    throw e;
  }
  return statusObject('Success', 201);
}

/** Take one disruption from the budget, recording the pod as disrupted; throws when there is none to take. */
async function checkAndDecrement(ctx: ControllerContext, pdbDef: ResourceDef, pdb: KubeObject, podName: string, dryRun: boolean): Promise<void> {
  const st = cloneObject(objAt(pdb.status) ?? {}) as Obj;
  const name = pdb.metadata.name as string;
  const observed = typeof st.observedGeneration === 'number' ? st.observedGeneration : 0;
  if (observed < (pdb.metadata.generation ?? 0)) throw stillProcessing(name);
  const allowed = typeof st.disruptionsAllowed === 'number' ? st.disruptionsAllowed : 0;
  if (allowed < 0) {
    throw budgetForbidden(name, 'pdb disruptions allowed is negative',
      `The disruption budget ${name} does not allow evicting pods currently: pdb disruptions allowed is negative`);
  }
  const disrupted = objAt(st.disruptedPods) ?? {};
  if (Object.keys(disrupted).length > maxDisruptedPodSize) {
    throw budgetForbidden(name, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller',
      `The disruption budget ${name} does not allow evicting pods currently: too many pending evictions not confirmed by PDB controller`);
  }
  if (allowed === 0) throw tooManyRequests(evictionViolatesBudget, deniedCause(pdb), 0);
  st.disruptionsAllowed = allowed - 1;
  if (st.disruptionsAllowed === 0) updateDisruptionAllowedCondition(st, ctx.now());
  if (dryRun) return;
  st.disruptedPods = { ...disrupted, [podName]: nowTimestamp(ctx.now()) };
  await ctx.vc.store.update(pdbDef, pdb.metadata.namespace, name, { ...cloneObject(pdb), status: st },
    { subresource: 'status', fieldManager: manager });
}
