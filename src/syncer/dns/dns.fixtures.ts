// Objects as the Kubernetes API returns them, for the DNS tests.
import type { KubeObject } from '../../api/types.ts';

export function service(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace, name }, spec };
}

export interface SliceEndpoint { ip: string; hostname?: string; ready?: boolean }

export function endpointSlice(namespace: string, service: string, endpoints: SliceEndpoint[], ports: { name?: string; port: number; protocol?: string }[], addressType = 'IPv4'): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType,
    metadata: { namespace, name: `${service}-${Math.random().toString(36).slice(2, 7)}`, labels: { 'kubernetes.io/service-name': service } },
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true }, ...(e.hostname ? { hostname: e.hostname } : {}) })),
    ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
  };
}

export function namespace(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function pod(namespace: string, name: string, ip: string, extra: { hostNetwork?: boolean; phase?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name },
    spec: { hostNetwork: extra.hostNetwork ?? false },
    status: { phase: extra.phase ?? 'Running', podIP: ip, podIPs: [{ ip }] },
  };
}

/** One virtual cluster's objects: a ClusterIP service, a StatefulSet-style headless one, ExternalNames, a dual-stack one. */
export function sampleCluster(webIP = '10.96.0.10') {
  return {
    namespaces: [namespace('default'), namespace('kube-system'), namespace('empty')],
    services: [
      service('default', 'web', { type: 'ClusterIP', clusterIP: webIP, clusterIPs: [webIP], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { port: 8080, protocol: 'TCP' }] }),
      service('default', 'db', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }),
      service('default', 'idle', { clusterIP: 'None', clusterIPs: ['None'], ports: [] }),
      service('default', 'ext', { type: 'ExternalName', externalName: 'example.com' }),
      service('default', 'alias', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' }),
      service('default', 'dual', { clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20', 'fd00::20'], ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
    ],
    endpointSlices: [
      endpointSlice('default', 'web', [{ ip: '10.244.0.5' }], [{ name: 'http', port: 8080 }]),
      endpointSlice('default', 'db', [
        { ip: '10.244.1.10', hostname: 'db-0' },
        { ip: '10.244.1.11', hostname: 'db-1' },
        { ip: '10.244.1.12', hostname: 'db-2', ready: false },
        { ip: '10.244.1.13' },
      ], [{ name: 'pg', port: 15432 }]),
    ],
    pods: [pod('default', 'web-1', '10.244.0.5'), pod('default', 'db-0', '10.244.1.10'), pod('default', 'lone', '10.244.2.2')],
  };
}
