// Admission for creates the generic store does not carry out itself: a pod's
// binding (and the legacy `bindings`), a pod's eviction and a service
// account's token. Upstream sends each to mutating and validating webhooks and
// policies as a CREATE of the subresource, whose object is the request's body
// (a Binding, an Eviction, a TokenRequest), before the operation runs; what a
// mutating webhook changes in that body is what the operation goes on with.

import type { KubeObject } from '../../api/types.ts';
import type { AdmissionRequest } from '../../registry/generic/admission.ts';
import type { VirtualCluster } from '../cluster.ts';
import type { ResourceContext } from '../handlers/resource.ts';
import { addWarnings } from '../handlers/warnings.ts';

export interface SubresourceCreate {
  /** The body's kind (policy/v1 Eviction, authentication.k8s.io/v1 TokenRequest, v1 Binding). */
  readonly kind: { readonly group: string; readonly version: string; readonly kind: string };
  /** The decoded body; a mutating webhook's change is made to it in place. */
  readonly object: KubeObject;
  /** The name the request is for: the parent's (a pod's, a service account's), or the Binding's on `bindings`. */
  readonly name: string;
  readonly dryRun: boolean;
}

/**
 * Run the cluster's webhooks and policies for a create of `ctx`'s subresource.
 * Throws their refusal (the Status the client gets); resolves once they all
 * allowed it, with `c.object` as they left it.
 */
export async function admitSubresourceCreate(vc: VirtualCluster, ctx: ResourceContext, c: SubresourceCreate): Promise<void> {
  if (!vc.store.admission.some((p) => p.mutate !== undefined || p.validate !== undefined)) return;
  const { def, info, query } = ctx;
  const options: Record<string, unknown> = { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' };
  if (c.dryRun) options.dryRun = ['All'];
  const manager = query.get('fieldManager');
  if (manager) options.fieldManager = manager;
  const request: AdmissionRequest = {
    operation: 'CREATE', def, kind: c.kind,
    namespace: def.scope === 'Namespaced' ? info.namespace : undefined, name: c.name, subresource: info.subresource,
    object: c.object, oldObject: undefined, user: ctx.user, dryRun: c.dryRun, options,
    warn: (text) => addWarnings(ctx.res, [text]),
  };
  await vc.store.admitOperation(request);
}
