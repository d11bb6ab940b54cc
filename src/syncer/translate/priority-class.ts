// PriorityClasses (scheduling.k8s.io/v1, cluster-scoped). A virtual class
// becomes a host class of its own per virtual cluster and host namespace
// (`kubevisor-NAME-x-HOSTNS-x-VC`), which the synced pods then name. The host
// must not let one tenant above system components or change the host's
// default class, so the value is capped at the highest user-definable one
// and globalDefault is never set.

import type { KubeObject } from '../../api/types.ts';
import { toHostMeta } from './labels.ts';
import type { SyncTarget } from './markers.ts';
import { hostClusterName } from './names.ts';

/** The highest value a class outside the `system-` names may have (the host refuses more). */
export const HIGHEST_USER_PRIORITY = 1_000_000_000;

/** Classes every cluster has built in: pods naming them are not given a copy. */
export function isSystemPriorityClass(name: string): boolean {
  return name.startsWith('system-');
}

/** The host name of a virtual priority class. */
export function hostPriorityClassName(name: string, target: SyncTarget): string {
  return hostClusterName(name, target.hostNamespace, target.vcluster);
}

export function toHostPriorityClass(vClass: KubeObject, target: SyncTarget): KubeObject {
  const v = vClass as KubeObject & { value?: number; description?: string; preemptionPolicy?: string };
  const out: KubeObject = {
    apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: toHostMeta(vClass, 'PriorityClass', target),
    value: Math.min(typeof v.value === 'number' ? v.value : 0, HIGHEST_USER_PRIORITY),
  };
  if (v.description !== undefined) out['description'] = v.description;
  if (v.preemptionPolicy !== undefined) out['preemptionPolicy'] = v.preemptionPolicy;
  return out;
}
