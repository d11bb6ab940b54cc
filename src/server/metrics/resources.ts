// The Metrics API's resources as discovery shows them on a cluster running
// metrics-server: metrics.k8s.io/v1beta1 `nodes` (NodeMetrics, cluster-scoped)
// and `pods` (PodMetrics), verbs get and list, no singular name, no storage
// version hash, no short names or categories. Declared in every virtual
// cluster's registry (so discovery, api-resources and RBAC see them) and
// answered by api.ts, never stored.

import type { ResourceDef } from '../../registry/types.ts';

export const metricsGroup = 'metrics.k8s.io';
export const metricsVersion = 'v1beta1';
export const metricsApiVersion = `${metricsGroup}/${metricsVersion}`;

function answered(): never {
  throw new Error('the Metrics API is answered by the server');
}

/** Field selectors metrics-server accepts (the object-meta defaults); nodes have no namespace. */
const fieldSelectors = {
  'metadata.name': (o: { metadata: { name?: string } }) => o.metadata.name ?? '',
  'metadata.namespace': (o: { metadata: { namespace?: string } }) => o.metadata.namespace ?? '',
};

export const metricsResources: readonly ResourceDef[] = Object.freeze([
  {
    group: metricsGroup, version: metricsVersion, kind: 'NodeMetrics', listKind: 'NodeMetricsList', plural: 'nodes', singular: '',
    scope: 'Cluster', verbs: ['get', 'list'], strategy: {}, fieldSelectors, virtual: answered,
  },
  {
    group: metricsGroup, version: metricsVersion, kind: 'PodMetrics', listKind: 'PodMetricsList', plural: 'pods', singular: '',
    scope: 'Namespaced', verbs: ['get', 'list'], strategy: {}, fieldSelectors, virtual: answered,
  },
] satisfies ResourceDef[]);
