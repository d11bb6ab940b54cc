// LimitRanger, Priority and ResourceQuota as admission plugins of the generic
// store (vc.store.admission), so every create and update passes them, whoever
// writes: clients and controllers alike. LimitRanger and Priority admit
// (defaults and checks before mutating webhooks), ResourceQuota validates
// (after them).

import type { AdmissionPlugin } from '../../registry/generic/admission.ts';
import type { ControllerContext } from '../context.ts';
import { admitLimitRange } from './limitrange.ts';
import { priorityAdmission } from './priority.ts';
import { admitQuota, quotaAborted } from './quota.ts';

export function limitRangerAdmission(ctx: ControllerContext): AdmissionPlugin {
  return {
    name: 'LimitRanger',
    admit: (op, def, namespace, obj, old) => admitLimitRange(ctx, def, namespace, obj, op === 'update' ? old : undefined),
  };
}

/**
 * ResourceQuota validates, after mutating admission webhooks and the kind's
 * validation, as upstream's last plugin: it charges the object as stored.
 */
export function resourceQuotaAdmission(ctx: ControllerContext): AdmissionPlugin {
  return {
    name: 'ResourceQuota',
    validate: (req) => {
      if (req.operation === 'DELETE' || req.subresource !== undefined || !req.object) return;
      return admitQuota(ctx, req.def, req.namespace, req.object, req.operation === 'UPDATE' ? req.oldObject : undefined);
    },
    aborted: (_op, def, obj) => quotaAborted(ctx, def, obj),
  };
}

/**
 * Add LimitRanger, Priority and ResourceQuota to the end of the store's
 * admission chain (quota last, as upstream orders them); returns a function
 * that removes them.
 */
export function installPolicyAdmission(ctx: ControllerContext): () => void {
  const plugins = [limitRangerAdmission(ctx), priorityAdmission(ctx.vc), resourceQuotaAdmission(ctx)];
  ctx.vc.store.admission.push(...plugins);
  return () => {
    for (const p of plugins) {
      const i = ctx.vc.store.admission.indexOf(p);
      if (i >= 0) ctx.vc.store.admission.splice(i, 1);
    }
  };
}
