// What every new cluster holds, as a real cluster does: the namespaces default,
// kube-system, kube-public and kube-node-lease, the default/kubernetes service,
// and the system PriorityClasses system-node-critical and system-cluster-critical.

import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import type { VirtualCluster } from './cluster.ts';

const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** The system classes kube-apiserver makes at its start (their values are fixed by validation). */
const systemPriorityClasses = [
  { name: 'system-node-critical', value: 2000001000, description: 'For pods the node itself needs: they are never moved off it.' },
  { name: 'system-cluster-critical', value: 2000000000, description: 'For pods the cluster needs: they may be moved to another node, never left out.' },
];

export async function bootstrapCluster(vc: VirtualCluster): Promise<void> {
  const nsDef = vc.registry.find('', 'v1', 'namespaces');
  const svcDef = vc.registry.find('', 'v1', 'services');
  if (nsDef) {
    for (const name of systemNamespaces) {
      if (vc.store.peek(nsDef, undefined, name)) continue;
      await ignoreExists(vc.store.create(nsDef, undefined, { metadata: { name } }));
    }
  }
  if (svcDef && !vc.store.peek(svcDef, 'default', 'kubernetes')) {
    const svc: KubeObject = {
      metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: {
        type: 'ClusterIP',
        clusterIP: '10.96.0.1',
        clusterIPs: ['10.96.0.1'],
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
        sessionAffinity: 'None',
      },
    };
    await ignoreExists(vc.store.create(svcDef, 'default', svc));
  }
  const pcDef = vc.registry.find('scheduling.k8s.io', 'v1', 'priorityclasses');
  if (pcDef) {
    for (const c of systemPriorityClasses) {
      if (vc.store.peek(pcDef, undefined, c.name)) continue;
      await ignoreExists(vc.store.create(pcDef, undefined, {
        apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: c.name },
        value: c.value, globalDefault: false, description: c.description, preemptionPolicy: 'PreemptLowerPriority',
      } as KubeObject));
    }
  }
}

async function ignoreExists<T>(p: Promise<T>): Promise<void> {
  try { await p; } catch (e) { if (!(e instanceof ApiError && e.code === 409)) throw e; }
}
