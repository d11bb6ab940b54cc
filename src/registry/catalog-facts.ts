// Facts a real Kubernetes 1.36 API server reports in discovery that the OpenAPI
// document does not carry: singular names, short names, categories, the order in
// which groups and versions are served, each group's preferred version, and which
// resources of different group/versions are the same stored objects.
//
// The structural facts (kinds, scopes, verbs, subresources) are generated from the
// OpenAPI paths by scripts/gen-catalog.ts into generated/catalog.generated.json.

/** One API group as discovery serves it. */
export interface GroupFacts {
  group: string;
  /** Served versions, most preferred first (the order discovery lists them). */
  versions: string[];
  preferredVersion: string;
}

/**
 * Groups in the order a kube-apiserver lists them: the core group, then the
 * aggregator's own group (always listed first among named groups), then the
 * others by descending group priority (equal priorities by APIService name, i.e.
 * by version then group name).
 *
 * Priorities upstream: apps 17800, events 17750, authentication 17700,
 * authorization 17600, autoscaling 17500, batch 17400, certificates 17300,
 * networking 17200, policy 17100, rbac 17000, storage 16800,
 * admissionregistration 16700, apiextensions 16700, scheduling 16600,
 * coordination 16500, node 16300, discovery 16200, resource 16200,
 * flowcontrol 16100.
 *
 * Within autoscaling, v2 (version priority 30) is preferred over v1 (15).
 */
export const GROUP_ORDER: readonly GroupFacts[] = [
  { group: '', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'apiregistration.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'apps', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'events.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'authentication.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'authorization.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'autoscaling', versions: ['v2', 'v1'], preferredVersion: 'v2' },
  { group: 'batch', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'certificates.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'networking.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'policy', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'rbac.authorization.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'storage.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'admissionregistration.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'apiextensions.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'scheduling.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'coordination.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'node.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'discovery.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'resource.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
  { group: 'flowcontrol.apiserver.k8s.io', versions: ['v1'], preferredVersion: 'v1' },
];

/** Discovery facts of one resource that OpenAPI lacks. */
export interface ResourceFacts {
  singular: string;
  shortNames?: string[];
  categories?: string[];
}

/**
 * Keyed by group-qualified resource, written as Kubernetes writes a GroupResource:
 * `pods` for the core group, `deployments.apps` otherwise. The facts hold for every
 * served version of the resource.
 */
export const RESOURCE_FACTS: Readonly<Record<string, ResourceFacts>> = {
  // core
  'bindings': { singular: 'binding' },
  'componentstatuses': { singular: 'componentstatus', shortNames: ['cs'] },
  'configmaps': { singular: 'configmap', shortNames: ['cm'] },
  'endpoints': { singular: 'endpoints', shortNames: ['ep'] },
  'events': { singular: 'event', shortNames: ['ev'] },
  'limitranges': { singular: 'limitrange', shortNames: ['limits'] },
  'namespaces': { singular: 'namespace', shortNames: ['ns'] },
  'nodes': { singular: 'node', shortNames: ['no'] },
  'persistentvolumeclaims': { singular: 'persistentvolumeclaim', shortNames: ['pvc'] },
  'persistentvolumes': { singular: 'persistentvolume', shortNames: ['pv'] },
  'pods': { singular: 'pod', shortNames: ['po'], categories: ['all'] },
  'podtemplates': { singular: 'podtemplate' },
  'replicationcontrollers': { singular: 'replicationcontroller', shortNames: ['rc'], categories: ['all'] },
  'resourcequotas': { singular: 'resourcequota', shortNames: ['quota'] },
  'secrets': { singular: 'secret' },
  'serviceaccounts': { singular: 'serviceaccount', shortNames: ['sa'] },
  'services': { singular: 'service', shortNames: ['svc'], categories: ['all'] },

  // apiregistration.k8s.io
  'apiservices.apiregistration.k8s.io': { singular: 'apiservice', categories: ['api-extensions'] },

  // apps
  'controllerrevisions.apps': { singular: 'controllerrevision' },
  'daemonsets.apps': { singular: 'daemonset', shortNames: ['ds'], categories: ['all'] },
  'deployments.apps': { singular: 'deployment', shortNames: ['deploy'], categories: ['all'] },
  'replicasets.apps': { singular: 'replicaset', shortNames: ['rs'], categories: ['all'] },
  'statefulsets.apps': { singular: 'statefulset', shortNames: ['sts'], categories: ['all'] },

  // events.k8s.io (the same storage as core events, so the same short name)
  'events.events.k8s.io': { singular: 'event', shortNames: ['ev'] },

  // authentication.k8s.io
  'selfsubjectreviews.authentication.k8s.io': { singular: 'selfsubjectreview' },
  'tokenreviews.authentication.k8s.io': { singular: 'tokenreview' },

  // authorization.k8s.io
  'localsubjectaccessreviews.authorization.k8s.io': { singular: 'localsubjectaccessreview' },
  'selfsubjectaccessreviews.authorization.k8s.io': { singular: 'selfsubjectaccessreview' },
  'selfsubjectrulesreviews.authorization.k8s.io': { singular: 'selfsubjectrulesreview' },
  'subjectaccessreviews.authorization.k8s.io': { singular: 'subjectaccessreview' },

  // autoscaling
  'horizontalpodautoscalers.autoscaling': { singular: 'horizontalpodautoscaler', shortNames: ['hpa'], categories: ['all'] },

  // batch
  'cronjobs.batch': { singular: 'cronjob', shortNames: ['cj'], categories: ['all'] },
  'jobs.batch': { singular: 'job', categories: ['all'] },

  // certificates.k8s.io
  'certificatesigningrequests.certificates.k8s.io': { singular: 'certificatesigningrequest', shortNames: ['csr'] },

  // networking.k8s.io
  'ingressclasses.networking.k8s.io': { singular: 'ingressclass' },
  'ingresses.networking.k8s.io': { singular: 'ingress', shortNames: ['ing'] },
  'ipaddresses.networking.k8s.io': { singular: 'ipaddress', shortNames: ['ip'] },
  'networkpolicies.networking.k8s.io': { singular: 'networkpolicy', shortNames: ['netpol'] },
  'servicecidrs.networking.k8s.io': { singular: 'servicecidr' },

  // policy
  'poddisruptionbudgets.policy': { singular: 'poddisruptionbudget', shortNames: ['pdb'] },

  // rbac.authorization.k8s.io
  'clusterrolebindings.rbac.authorization.k8s.io': { singular: 'clusterrolebinding' },
  'clusterroles.rbac.authorization.k8s.io': { singular: 'clusterrole' },
  'rolebindings.rbac.authorization.k8s.io': { singular: 'rolebinding' },
  'roles.rbac.authorization.k8s.io': { singular: 'role' },

  // storage.k8s.io
  'csidrivers.storage.k8s.io': { singular: 'csidriver' },
  'csinodes.storage.k8s.io': { singular: 'csinode' },
  'csistoragecapacities.storage.k8s.io': { singular: 'csistoragecapacity' },
  'storageclasses.storage.k8s.io': { singular: 'storageclass', shortNames: ['sc'] },
  'volumeattachments.storage.k8s.io': { singular: 'volumeattachment' },
  'volumeattributesclasses.storage.k8s.io': { singular: 'volumeattributesclass', shortNames: ['vac'] },

  // admissionregistration.k8s.io
  'mutatingadmissionpolicies.admissionregistration.k8s.io': { singular: 'mutatingadmissionpolicy', categories: ['api-extensions'] },
  'mutatingadmissionpolicybindings.admissionregistration.k8s.io': { singular: 'mutatingadmissionpolicybinding', categories: ['api-extensions'] },
  'mutatingwebhookconfigurations.admissionregistration.k8s.io': { singular: 'mutatingwebhookconfiguration', categories: ['api-extensions'] },
  'validatingadmissionpolicies.admissionregistration.k8s.io': { singular: 'validatingadmissionpolicy', categories: ['api-extensions'] },
  'validatingadmissionpolicybindings.admissionregistration.k8s.io': { singular: 'validatingadmissionpolicybinding', categories: ['api-extensions'] },
  'validatingwebhookconfigurations.admissionregistration.k8s.io': { singular: 'validatingwebhookconfiguration', categories: ['api-extensions'] },

  // apiextensions.k8s.io
  'customresourcedefinitions.apiextensions.k8s.io': { singular: 'customresourcedefinition', shortNames: ['crd', 'crds'], categories: ['api-extensions'] },

  // scheduling.k8s.io
  'priorityclasses.scheduling.k8s.io': { singular: 'priorityclass', shortNames: ['pc'] },

  // coordination.k8s.io
  'leases.coordination.k8s.io': { singular: 'lease' },

  // node.k8s.io
  'runtimeclasses.node.k8s.io': { singular: 'runtimeclass' },

  // discovery.k8s.io
  'endpointslices.discovery.k8s.io': { singular: 'endpointslice' },

  // resource.k8s.io
  'deviceclasses.resource.k8s.io': { singular: 'deviceclass' },
  'resourceclaims.resource.k8s.io': { singular: 'resourceclaim' },
  'resourceclaimtemplates.resource.k8s.io': { singular: 'resourceclaimtemplate' },
  'resourceslices.resource.k8s.io': { singular: 'resourceslice' },

  // flowcontrol.apiserver.k8s.io
  'flowschemas.flowcontrol.apiserver.k8s.io': { singular: 'flowschema' },
  'prioritylevelconfigurations.flowcontrol.apiserver.k8s.io': { singular: 'prioritylevelconfiguration' },
};

/**
 * Resources whose objects live in another resource's storage (or that several
 * group/versions share). Keyed like RESOURCE_FACTS; the value names the group and
 * resource whose keys hold the objects.
 *
 * - autoscaling/v1 and autoscaling/v2 horizontalpodautoscalers are one resource.
 * - events.k8s.io/v1 events are the core/v1 events, seen through another schema.
 */
export const SHARED_STORAGE: Readonly<Record<string, { group: string; resource: string }>> = {
  'horizontalpodautoscalers.autoscaling': { group: 'autoscaling', resource: 'horizontalpodautoscalers' },
  'events': { group: '', resource: 'events' },
  'events.events.k8s.io': { group: '', resource: 'events' },
};

/** The key of RESOURCE_FACTS and SHARED_STORAGE for a group and resource. */
export function groupResourceKey(group: string, resource: string): string {
  return group === '' ? resource : `${resource}.${group}`;
}
