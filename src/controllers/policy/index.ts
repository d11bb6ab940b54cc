// Policy: ResourceQuota (controller and admission), LimitRanger admission,
// PodDisruptionBudget status (the disruption controller) and pod eviction.

import type { ControllerContext } from '../context.ts';
import { startDisruptionController } from './disruption.ts';
import { evictionHandler } from './eviction-handler.ts';
import { installPolicyAdmission } from './admission.ts';
import { startResourceQuotaController } from './quota.ts';

export { admitQuota, startResourceQuotaController, quotaSettings } from './quota.ts';
export type { AdmitQuotaOptions } from './quota.ts';
export { admitLimitRange, limitRangerAnnotation } from './limitrange.ts';
export { startDisruptionController, pdbsForPod, deletionTimeoutMs, stalePodDisruptionTimeoutMs } from './disruption.ts';
export { evictPod, evictionViolatesBudget, multipleBudgets, maxDisruptedPodSize } from './eviction.ts';
export type { EvictOptions } from './eviction.ts';
export { evictionHandler } from './eviction-handler.ts';
export { installPolicyAdmission, limitRangerAdmission, resourceQuotaAdmission } from './admission.ts';

/**
 * Everything of policy for one cluster: LimitRanger and ResourceQuota
 * admission in the store, the quota and disruption controllers, and
 * pods/eviction; returns a function that undoes it all.
 */
export function startPolicy(ctx: ControllerContext): () => void {
  const removeAdmission = installPolicyAdmission(ctx);
  const stopQuota = startResourceQuotaController(ctx);
  const stopDisruption = startDisruptionController(ctx);
  const key = '/pods/eviction';
  const handler = evictionHandler(ctx);
  ctx.vc.subresources.set(key, handler);
  return () => {
    removeAdmission();
    stopQuota();
    stopDisruption();
    if (ctx.vc.subresources.get(key) === handler) ctx.vc.subresources.delete(key);
  };
}
