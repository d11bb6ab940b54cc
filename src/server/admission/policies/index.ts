// ValidatingAdmissionPolicies (admissionregistration.k8s.io/v1) as an
// admission plugin of a cluster's generic store: every write, a client's or
// a controller's, subresources and deletes too, passes the policies its
// bindings apply, in the `validate` phase (after the kind's validation),
// before the validating admission webhooks, as upstream orders its plugins
// (ValidatingAdmissionPolicy, then ValidatingAdmissionWebhook, then
// ResourceQuota).
//
// A cluster without bindings pays one look at an empty index per write; the
// evaluation code and the CEL library load with the first binding that
// matters. The admission configuration itself (webhook configurations,
// policies, bindings) is never checked by policies, as upstream exempts it.

import type { AdmissionPlugin } from '../../../registry/generic/admission.ts';
import type { VirtualCluster } from '../../cluster.ts';
import { isExempt } from '../matching.ts';
import { PolicySource } from './source.ts';
import { installPlugin } from '../install.ts';

type DispatchModule = typeof import('./dispatch.ts');
let dispatchModule: Promise<DispatchModule> | undefined;
let loaded: DispatchModule | undefined;
const dispatch = () => (dispatchModule ??= import('./dispatch.ts').then((m) => (loaded = m)));

/** Enforce the cluster's ValidatingAdmissionPolicies on every write. Returns what removes the plugin; it also goes when the cluster closes. */
export function installAdmissionPolicies(vc: VirtualCluster): () => void {
  const group = 'admissionregistration.k8s.io';
  const source = new PolicySource(vc.cache, vc.registry.find(group, 'v1', 'validatingadmissionpolicies'),
    vc.registry.find(group, 'v1', 'validatingadmissionpolicybindings'));
  const ctx = { vc, source };
  const plugin: AdmissionPlugin = {
    name: 'ValidatingAdmissionPolicy',
    validate: (req) => {
      if (!source.active || isExempt(req.def)) return;
      if (loaded) return loaded.validatePolicies(ctx, req);
      return dispatch().then((d) => d.validatePolicies(ctx, req));
    },
  };
  return installPlugin(vc, plugin, () => source.stop());
}
