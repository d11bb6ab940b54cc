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
        namespace: { ...str, description: 'The host namespace the cluster\'s workloads run in; created if absent.' },
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
