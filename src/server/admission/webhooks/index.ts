// Admission webhooks (MutatingWebhookConfiguration,
// ValidatingWebhookConfiguration) as an admission plugin of a cluster's
// generic store, so every write passes them, a client's or a controller's:
// mutating webhooks after the built-in plugins' admit, validating webhooks
// after the kind's validation (registry/generic/admission.ts has the order).
//
// A cluster without webhook configurations pays nothing more per write than
// a look at an empty index; the calling code loads with the first
// configuration that matters. The configurations themselves (and the
// admission policies) are never sent to webhooks, as upstream exempts them.

import type { AdmissionPlugin } from '../../../registry/generic/admission.ts';
import type { VirtualCluster } from '../../cluster.ts';
import type { StreamingOptions } from '../../streaming/pod-config.ts';
import { WebhookIndex } from './config.ts';
import { isExempt } from './rules.ts';
import { simulatedRoute } from './service.ts';
import { installPlugin } from '../install.ts';

export { setServiceRoute, type ServiceRoute } from './service.ts';
export { TransportError, type HttpAnswer, type WebhookPost } from './transport.ts';
export type { ServiceReference } from './config.ts';

let dispatchModule: Promise<typeof import('./dispatch.ts')> | undefined;
const dispatch = () => (dispatchModule ??= import('./dispatch.ts'));

/**
 * Call the cluster's admission webhooks on every write. `options`: how
 * Services are reached in a cluster of simulated pods (host access, and the
 * signal that ends with the cluster). Returns what removes the plugin; it
 * also goes when the cluster closes.
 */
export function installAdmissionWebhooks(vc: VirtualCluster, options: StreamingOptions): () => void {
  const group = 'admissionregistration.k8s.io';
  const index = new WebhookIndex(vc.cache, vc.registry.find(group, 'v1', 'mutatingwebhookconfigurations'),
    vc.registry.find(group, 'v1', 'validatingwebhookconfigurations'));
  const ctx = { vc, index, defaultRoute: simulatedRoute(vc, options), anyUrlAddress: options.hostAccess === true };
  const plugin: AdmissionPlugin = {
    name: 'AdmissionWebhooks',
    mutate: (req) => {
      if (index.mutating.webhooks().length === 0 || isExempt(req.def)) return false;
      return dispatch().then((d) => d.dispatchMutating(ctx, req));
    },
    validate: (req) => {
      if (index.validating.webhooks().length === 0 || isExempt(req.def)) return;
      return dispatch().then((d) => d.dispatchValidating(ctx, req));
    },
  };
  return installPlugin(vc, plugin, () => index.stop());
}
