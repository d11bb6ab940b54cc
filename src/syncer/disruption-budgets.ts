// PodDisruptionBudgets to the host (spec.host.sync.toHost.podDisruptionBudgets):
// host evictions (a host node drained) respect the tenant's budgets. Their
// status stays the virtual disruption controller's.
import type { SyncContext } from './context.ts';
import type { CopiedKind, HostCopies } from './copies.ts';
import { toHostPodDisruptionBudget } from './translate/disruption-budget.ts';

export const PDB_KIND: CopiedKind = {
  sync: 'pdb', kind: 'PodDisruptionBudget', host: { apiVersion: 'policy/v1', plural: 'poddisruptionbudgets' },
  group: 'policy', plural: 'poddisruptionbudgets', fields: ['spec'],
};

export async function syncDisruptionBudget(s: SyncContext, copies: HostCopies, ns: string, name: string): Promise<void> {
  const v = copies.live(ns, name);
  await copies.sync(ns, name, v, v ? toHostPodDisruptionBudget(v, { vcluster: s.name, hostNamespace: s.hostNamespace }) : undefined);
}
