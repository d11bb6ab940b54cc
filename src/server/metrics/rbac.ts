// Who may read the Metrics API. Kubernetes' own bootstrap roles do not name
// metrics.k8s.io (view, edit and admin aggregate nothing of it): a cluster gets
// it from metrics-server's manifests, whose ClusterRole
// system:aggregated-metrics-reader (label k8s-app: metrics-server) grants get,
// list and watch on metrics.k8s.io pods and nodes and carries the three
// aggregation labels. kubevisor serves the Metrics API in every virtual
// cluster, as if metrics-server were installed, so its bootstrap policy has
// that role too (server/rbac/bootstrap.ts): a namespace's viewers can run
// `kubectl top pod` there, as on a cluster with metrics-server.

import type { KubeObject } from '../../api/types.ts';
import { metricsGroup } from './resources.ts';

export function metricsReaderRole(): KubeObject {
  return {
    metadata: {
      name: 'system:aggregated-metrics-reader',
      labels: {
        'k8s-app': 'metrics-server',
        'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
        'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
        'rbac.authorization.k8s.io/aggregate-to-view': 'true',
      },
    },
    rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: [metricsGroup], resources: ['pods', 'nodes'] }],
  };
}
