// PodDisruptionBudgets (policy/v1): the selector is scoped like a Service's,
// to the virtual cluster's pods of the budget's virtual namespace, so host
// evictions (a drained host node) respect the tenant's budgets.

import type { KubeObject } from '../../api/types.ts';
import { deepCopy } from '../../api/json-copy.ts';
import { toHostMeta } from './labels.ts';
import type { SyncTarget } from './markers.ts';
import { type LabelSelector, toHostLabelSelector } from './selectors.ts';

export interface PodDisruptionBudgetSpec {
  selector?: LabelSelector | null;
  minAvailable?: number | string;
  maxUnavailable?: number | string;
  unhealthyPodEvictionPolicy?: string;
  [field: string]: unknown;
}

/** The host copy: the same budget; a null selector (no pods) stays null, `{}` (every pod of the namespace) is scoped. */
export function toHostPodDisruptionBudget(vPdb: KubeObject, target: SyncTarget): KubeObject {
  const ns = vPdb.metadata.namespace ?? 'default';
  const spec = deepCopy((vPdb.spec ?? {}) as PodDisruptionBudgetSpec);
  if (spec.selector !== undefined) spec.selector = toHostLabelSelector(spec.selector, target.vcluster, { kind: 'one', namespace: ns });
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: toHostMeta(vPdb, 'PodDisruptionBudget', target), spec };
}
