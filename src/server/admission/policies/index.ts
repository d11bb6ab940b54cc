// MutatingAdmissionPolicies and ValidatingAdmissionPolicies
// (admissionregistration.k8s.io/v1) as two admission plugins of a cluster's
// generic store. Mutating policies change every create, update and connect
// request, a client's or a controller's, in the `mutate` phase before the
// mutating webhooks (and once more in the store's reinvocation pass), as
// upstream orders its plugins (MutatingAdmissionPolicy, then
// MutatingAdmissionWebhook); mutating/dispatch.ts has the rest.
//
// Validating policies: every write, a client's or
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

import type { AdmissionPlugin, AdmissionRequest } from '../../../registry/generic/admission.ts';
import type { VirtualCluster } from '../../cluster.ts';
import { isExempt } from '../matching.ts';
import { compilePolicy } from './compile.ts';
import { compileMutatingPolicy } from './mutating/compile.ts';
import { PolicySource } from './source.ts';
import { installPlugin } from '../install.ts';

type DispatchModule = typeof import('./dispatch.ts');
let dispatchModule: Promise<DispatchModule> | undefined;
let loaded: DispatchModule | undefined;
const dispatch = () => (dispatchModule ??= import('./dispatch.ts').then((m) => (loaded = m)));

type MutatingModule = typeof import('./mutating/dispatch.ts');
let mutatingModule: Promise<MutatingModule> | undefined;
let loadedMutating: MutatingModule | undefined;
const mutating = () => (mutatingModule ??= import('./mutating/dispatch.ts').then((m) => (loadedMutating = m)));

/**
 * Apply the cluster's MutatingAdmissionPolicies and enforce its
 * ValidatingAdmissionPolicies on every write. Returns what removes the
 * plugins; they also go when the cluster closes.
 */
export function installAdmissionPolicies(vc: VirtualCluster): () => void {
  const group = 'admissionregistration.k8s.io';
  const mutatingSource = new PolicySource(vc.cache, vc.registry.find(group, 'v1', 'mutatingadmissionpolicies'),
    vc.registry.find(group, 'v1', 'mutatingadmissionpolicybindings'), compileMutatingPolicy);
  const mctx = { vc, source: mutatingSource };
  const run = (req: AdmissionRequest, reinvocation: boolean): boolean | Promise<boolean> => {
    if (!mutatingSource.active || isExempt(req.def) || req.operation === 'DELETE') return false;
    if (loadedMutating) return loadedMutating.mutatePolicies(mctx, req, reinvocation);
    return mutating().then((d) => d.mutatePolicies(mctx, req, reinvocation));
  };
  const stopMutating = installPlugin(vc, {
    name: 'MutatingAdmissionPolicy',
    mutate: (req) => run(req, false),
    reinvoke: (req) => run(req, true),
  }, () => mutatingSource.stop());
  const source = new PolicySource(vc.cache, vc.registry.find(group, 'v1', 'validatingadmissionpolicies'),
    vc.registry.find(group, 'v1', 'validatingadmissionpolicybindings'), compilePolicy);
  const ctx = { vc, source };
  const plugin: AdmissionPlugin = {
    name: 'ValidatingAdmissionPolicy',
    validate: (req) => {
      if (!source.active || isExempt(req.def)) return;
      if (loaded) return loaded.validatePolicies(ctx, req);
      return dispatch().then((d) => d.validatePolicies(ctx, req));
    },
  };
  const stopValidating = installPlugin(vc, plugin, () => source.stop());
  return () => { stopMutating(); stopValidating(); };
}
