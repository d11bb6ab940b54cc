// The VirtualCluster kind of the admin API, declared as a CustomResourceDefinition
// the admin API installs at its first start (see docs/admin-api.md).

import type { KubeObject } from '../../api/types.ts';

export const VC_GROUP = 'kubevisor.dev';
export const VC_VERSION = 'v1alpha1';
export const VC_PLURAL = 'virtualclusters';
export const VC_KIND = 'VirtualCluster';
export const VC_API_VERSION = `${VC_GROUP}/${VC_VERSION}`;
/** Removed once the cluster's data is gone. */
export const CLEANUP_FINALIZER = 'kubevisor.dev/cleanup';

const str = { type: 'string' };
const int = { type: 'integer', format: 'int64' };
/** A resource list: resource name to quantity ("10", "500m", "1Gi" or a number). */
const resourceList = {
  type: 'object',
  additionalProperties: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
};
const podSecurityLevel = { ...str, enum: ['privileged', 'baseline', 'restricted'] };

const specSchema = {
  type: 'object',
  description: 'What the virtual cluster should be.',
  properties: {
    kubernetesVersion: { ...str, description: 'The Kubernetes version the cluster reports, e.g. v1.33.0. Default: the server\'s.' },
    storage: { ...str, enum: ['sqlite', 'etcd'], description: 'Where the cluster keeps its objects: sqlite (a database file of its own) or etcd (the server\'s etcd, under a key prefix of its own). Default sqlite.' },
    nodes: { ...int, minimum: 0, maximum: 1000, description: 'Simulated nodes that run the cluster\'s pods when it has no host cluster. Default 0.' },
    paused: { type: 'boolean', description: 'A paused cluster keeps its data, holds no memory and answers requests with 503 until resumed.' },
    sleepAfter: { ...str, description: 'A duration (e.g. 30m): idle this long, the cluster sleeps (is paused) until its next request wakes it.' },
    limits: {
      type: 'object',
      description: 'Limits that keep one tenant from crowding out others.',
      properties: {
        maxObjects: { ...int, minimum: 1, description: 'Objects the cluster may store; creates past it are refused with 403.' },
        maxRequestsInFlight: { ...int, minimum: 1, description: 'Requests served at once (watches excluded); more get 429. Default 64.' },
        maxWatches: { ...int, minimum: 1, description: 'Watches open at once; more get 429. Default 1000.' },
      },
    },
    host: {
      type: 'object',
      description: 'The host cluster that runs the cluster\'s workloads (the syncer). Absent: standalone, with simulated nodes.',
      properties: {
        kubeconfigSecret: {
          type: 'object',
          properties: { name: str, namespace: str, key: str },
          required: ['name'],
        },
        kubeconfigFile: { ...str, description: 'A kubeconfig file on the server\'s machine.' },
        context: { ...str, description: 'The kubeconfig context; default its current context.' },
        namespace: { ...str, description: 'The host namespace the cluster\'s workloads run in; created if absent. Several virtual clusters may share one.' },
        quota: {
          ...resourceList,
          description: 'The hard limits of a ResourceQuota kept in the host namespace (resource name to quantity, e.g. pods: "50", requests.cpu: "10"). ' +
            'A quota counts every pod of its namespace: when several virtual clusters share the namespace, each quota holds for all their pods together.',
        },
        limitRange: {
          type: 'array',
          description: 'The limits of a LimitRange kept in the host namespace: default and bounding requests and limits of the host pods.',
          items: {
            type: 'object',
            required: ['type'],
            properties: {
              type: { ...str, enum: ['Container', 'Pod', 'PersistentVolumeClaim'], description: 'What the item bounds.' },
              max: { ...resourceList, description: 'The most a container, pod or claim may have.' },
              min: { ...resourceList, description: 'The least a container, pod or claim must ask for.' },
              default: { ...resourceList, description: 'Container limits set where a container gives none (Container only).' },
              defaultRequest: { ...resourceList, description: 'Container requests set where a container gives none (Container only).' },
              maxLimitRequestRatio: { ...resourceList, description: 'The most a limit may be as a multiple of its request.' },
            },
          },
        },
        podSecurity: {
          type: 'object',
          description: 'Pod Security Admission levels set as labels on the host namespace (privileged, baseline or restricted). ' +
            'In a namespace shared by several virtual clusters the strictest level asked for holds.',
          properties: {
            enforce: { ...podSecurityLevel, description: 'Host pods breaking this level are refused. Default baseline.' },
            audit: { ...podSecurityLevel, description: 'Host pods breaking this level are recorded in the host\'s audit log. Default: not set.' },
            warn: { ...podSecurityLevel, description: 'Host pods breaking this level draw a warning. Default: not set.' },
          },
        },
        isolation: {
          type: 'object',
          description: 'How the cluster\'s host pods are kept apart from other tenants\'.',
          properties: {
            networkPolicy: {
              type: 'boolean',
              description: 'NetworkPolicies in the host namespace so the cluster\'s pods reach each other, the kubevisor server, DNS and the internet, ' +
                'but no other pods or private addresses. Default true.',
            },
            nodeSelector: {
              type: 'object', additionalProperties: str,
              description: 'Node labels every host pod of the cluster must run on (merged over the pod\'s own; these win): nodes dedicated to this tenant.',
            },
            tolerations: {
              type: 'array',
              description: 'Tolerations added to every host pod of the cluster, e.g. for the taints of nodes dedicated to this tenant.',
              items: {
                type: 'object',
                properties: {
                  key: str,
                  operator: { ...str, enum: ['Exists', 'Equal'] },
                  value: str,
                  effect: { ...str, enum: ['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute'] },
                  tolerationSeconds: int,
                },
              },
            },
            runtimeClassName: { ...str, description: 'The RuntimeClass every host pod of the cluster runs with (e.g. a gVisor or Kata runtime), replacing the pod\'s own.' },
          },
        },
        sync: {
          type: 'object',
          description: 'Optional kinds the syncer copies each way, and what the virtual nodes show.',
          properties: {
            toHost: {
              type: 'object',
              description: 'Kinds copied from the virtual cluster to the host namespace, besides pods, services, endpoints and what synced pods use.',
              properties: {
                allConfigMaps: { type: 'boolean', description: 'Every config map, not only those synced pods use. Default false.' },
                allSecrets: { type: 'boolean', description: 'Every secret, not only those synced pods use. Default false.' },
                ingresses: { type: 'boolean', description: 'Ingresses, with their backends renamed. Default false.' },
                networkPolicies: { type: 'boolean', description: 'NetworkPolicies, translated so they select only this cluster\'s pods. Default false.' },
                podDisruptionBudgets: { type: 'boolean', description: 'PodDisruptionBudgets, selecting only this cluster\'s pods. Default false.' },
                priorityClasses: { type: 'boolean', description: 'PriorityClasses (cluster-scoped, renamed per cluster). Default false.' },
              },
            },
            fromHost: {
              type: 'object',
              description: 'Kinds copied from the host cluster into the virtual cluster.',
              properties: {
                persistentVolumes: { type: 'boolean', description: 'The persistent volumes bound to synced claims. Default true.' },
                storageClasses: { type: 'boolean', description: 'The host\'s storage classes. Default false.' },
                ingressClasses: { type: 'boolean', description: 'The host\'s ingress classes. Default false.' },
                priorityClasses: { type: 'boolean', description: 'The host\'s priority classes. Default false.' },
              },
            },
            nodes: { ...str, enum: ['fake', 'real'], description: 'What the virtual nodes standing for host nodes show: fake (made-up addresses and capacity, the default) or real (the host node\'s labels, taints, capacity and status).' },
            allNodes: { type: 'boolean', description: 'Every host node the enforced node selector and tolerations let this cluster\'s pods onto appears as a virtual node (for a scheduler of the tenant\'s to choose among), not only those running a synced pod. Needs cluster-wide list and watch of the host\'s nodes. Default false.' },
            hostSchedulers: {
              type: 'array',
              items: str,
              description: 'The scheduler names the host runs. An unbound pod whose schedulerName (empty: default-scheduler) is listed goes to the host at once; one naming another scheduler waits in the virtual cluster until that scheduler (the tenant\'s own) binds it, then runs on the host pinned to that node. Default ["default-scheduler"].',
            },
          },
        },
      },
    },
  },
};

const statusSchema = {
  type: 'object',
  description: 'What the server reports of the cluster.',
  properties: {
    phase: { ...str, description: 'Pending, Running, Paused, Sleeping, Terminating or Failed.' },
    endpoint: { ...str, description: 'The URL clients reach the cluster at.' },
    kubernetesVersion: str,
    objects: { ...int, description: 'Objects stored in the cluster.' },
    lastActivityTime: { ...str, format: 'date-time' },
    observedGeneration: int,
    conditions: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: {
        type: 'object',
        required: ['type', 'status'],
        properties: { type: str, status: str, reason: str, message: str, lastTransitionTime: { ...str, format: 'date-time' } },
      },
    },
  },
};

export function virtualClusterCRD(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${VC_PLURAL}.${VC_GROUP}` },
    spec: {
      group: VC_GROUP,
      scope: 'Cluster',
      names: { plural: VC_PLURAL, singular: 'virtualcluster', kind: VC_KIND, listKind: `${VC_KIND}List`, shortNames: ['vc'], categories: ['kubevisor'] },
      versions: [{
        name: VC_VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Status', type: 'string', jsonPath: '.status.phase' },
          { name: 'Version', type: 'string', jsonPath: '.status.kubernetesVersion' },
          { name: 'Objects', type: 'integer', jsonPath: '.status.objects' },
          { name: 'Endpoint', type: 'string', jsonPath: '.status.endpoint', priority: 1 },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            description: 'A virtual cluster this kubevisor server hosts.',
            properties: { apiVersion: str, kind: str, metadata: { type: 'object' }, spec: specSchema, status: statusSchema },
          },
        },
      }],
    },
  };
}
