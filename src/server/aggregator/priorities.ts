// The priorities kube-apiserver gives the group versions it serves itself
// (its Local APIServices' groupPriorityMinimum and versionPriority), and
// those of custom resources (the CRD registration controller's).

export interface Priority {
  readonly group: number;
  readonly version: number;
}

const BUILTIN: Readonly<Record<string, Priority>> = {
  'v1': { group: 18000, version: 1 },
  'apiregistration.k8s.io/v1': { group: 18000, version: 15 },
  'apps/v1': { group: 17800, version: 15 },
  'events.k8s.io/v1': { group: 17750, version: 15 },
  'authentication.k8s.io/v1': { group: 17700, version: 15 },
  'authorization.k8s.io/v1': { group: 17600, version: 15 },
  'autoscaling/v2': { group: 17500, version: 30 },
  'autoscaling/v1': { group: 17500, version: 15 },
  'batch/v1': { group: 17400, version: 15 },
  'certificates.k8s.io/v1': { group: 17300, version: 15 },
  'networking.k8s.io/v1': { group: 17200, version: 15 },
  'policy/v1': { group: 17100, version: 15 },
  'rbac.authorization.k8s.io/v1': { group: 17000, version: 15 },
  'storage.k8s.io/v1': { group: 16800, version: 15 },
  'admissionregistration.k8s.io/v1': { group: 16700, version: 15 },
  'apiextensions.k8s.io/v1': { group: 16700, version: 15 },
  'scheduling.k8s.io/v1': { group: 16600, version: 15 },
  'coordination.k8s.io/v1': { group: 16500, version: 15 },
  'node.k8s.io/v1': { group: 16300, version: 15 },
  'discovery.k8s.io/v1': { group: 16200, version: 15 },
  'resource.k8s.io/v1': { group: 16200, version: 21 },
  'flowcontrol.apiserver.k8s.io/v1': { group: 16100, version: 21 },
};

/** A custom resource's group version: low in the list, versions ordered as Kubernetes versions. */
export const CUSTOM_RESOURCE_PRIORITY: Priority = { group: 1000, version: 100 };

/** The priority of a built-in group version; undefined: kube-apiserver registers no APIService for it. */
export function builtinPriority(group: string, version: string): Priority | undefined {
  return BUILTIN[group === '' ? version : `${group}/${version}`];
}
