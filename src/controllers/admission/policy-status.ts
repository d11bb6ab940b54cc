// The ValidatingAdmissionPolicy status controller (upstream's
// validatingadmissionpolicy-status-controller): each policy whose generation
// is newer than its status.observedGeneration gets status.observedGeneration
// set to it and status.typeChecking, as upstream writes them once it has type
// checked the policy. Upstream fills typeChecking.expressionWarnings from a
// type check of every expression against the schemas of the kinds the policy
// matches; kubevisor does no such check, so typeChecking stays empty. No
// conditions are written (upstream writes none either).

import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import type { ControllerContext } from '../context.ts';
import { Controller } from '../runtime.ts';

export const policyStatusFieldManager = 'validatingadmissionpolicy-status-controller';

type Obj = Record<string, unknown>;

function observed(p: KubeObject): number {
  const s = (p as Obj).status;
  const g = typeof s === 'object' && s !== null ? (s as Obj).observedGeneration : undefined;
  return typeof g === 'number' ? g : 0;
}

export function startPolicyStatusController(ctx: ControllerContext): () => void {
  const def = ctx.def('admissionregistration.k8s.io', 'v1', 'validatingadmissionpolicies');
  const store = ctx.vc.store;
  const c = new Controller('validatingadmissionpolicy-status', async (name) => {
    const policy = store.peek(def, undefined, name);
    if (!policy || (policy.metadata.generation ?? 0) <= observed(policy)) return;
    try {
      await store.guaranteedUpdate(def, undefined, name, (cur) => {
        const next = cur as KubeObject & Obj;
        const status = typeof next.status === 'object' && next.status !== null ? next.status as Obj : {};
        next.status = { ...status, observedGeneration: next.metadata.generation ?? 0, typeChecking: {} };
        return next;
      }, { subresource: 'status', fieldManager: policyStatusFieldManager });
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return;
      throw e;
    }
  });
  const prefix = resourcePrefix(def);
  const unwatch = ctx.vc.cache.subscribe({
    prefix,
    onEvent: (ev) => { if (ev.type !== 'DELETED') c.enqueue(ev.obj.metadata.name ?? ''); },
  });
  for (const o of ctx.vc.cache.scan(prefix)) c.enqueue(o.obj.metadata.name ?? '');
  return () => { unwatch(); c.stop(); };
}
