// Services. The host copy selects only the virtual cluster's pods of the same
// virtual namespace; the host allocates the cluster IP and node ports, and
// the virtual service takes them, so a service has one IP in both clusters.

import type { KubeObject } from '../../api/types.ts';
import { deepCopy } from '../../api/json-copy.ts';
import { toHostMeta } from './labels.ts';
import type { SyncTarget } from './markers.ts';
import { toHostServiceSelector } from './selectors.ts';

export interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  nodePort?: number;
  [field: string]: unknown;
}

export interface ServiceSpec {
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  selector?: Record<string, string>;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
  healthCheckNodePort?: number;
  ipFamilies?: string[];
  externalName?: string;
  [field: string]: unknown;
}

export interface ServiceContext extends SyncTarget {
  /**
   * Keep the virtual service's node ports (and health check port) on the
   * host: right when translating a user's request that named them, wrong for
   * ports the virtual cluster allocated itself. Default false: the host
   * allocates and `fromHostService` carries its choice back.
   */
  keepNodePorts?: boolean;
}

function isHeadless(spec: ServiceSpec): boolean {
  return spec.clusterIP === 'None';
}

/**
 * The host copy of a virtual service: same type, ports, traffic policies and
 * externalName; selector translated; cluster IPs left for the host to
 * allocate (a headless service stays headless); no status.
 */
export function toHostService(vSvc: KubeObject, ctx: ServiceContext): KubeObject {
  const ns = vSvc.metadata.namespace ?? 'default';
  const spec = deepCopy((vSvc.spec ?? {}) as ServiceSpec);
  const selector = toHostServiceSelector(spec.selector, ctx.vcluster, ns);
  if (selector) spec.selector = selector; else delete spec.selector;
  if (isHeadless(spec)) {
    spec.clusterIPs = ['None'];
  } else {
    delete spec.clusterIP;
    delete spec.clusterIPs;
  }
  if (!ctx.keepNodePorts) {
    delete spec.healthCheckNodePort;
    if (spec.ports) spec.ports = spec.ports.map(({ nodePort: _np, ...p }) => p);
  }
  return { apiVersion: 'v1', kind: 'Service', metadata: toHostMeta(vSvc, 'Service', ctx), spec };
}

export interface ServiceBackSync {
  /** Fields to set on the virtual service's spec. */
  spec: Pick<ServiceSpec, 'clusterIP' | 'clusterIPs' | 'ports' | 'healthCheckNodePort' | 'ipFamilies'>;
  /** The host's LoadBalancer status (ingress points), for the virtual service's status. */
  status: { loadBalancer: unknown; [field: string]: unknown };
  /**
   * The virtual service already has other cluster IPs than the host's: IPs
   * are immutable, so the virtual service must be recreated with the host's.
   */
  recreate: boolean;
}

function samePort(a: ServicePort, b: ServicePort): boolean {
  return a.port === b.port && (a.protocol || 'TCP') === (b.protocol || 'TCP');
}

/**
 * What a virtual service takes from its host copy: cluster IP(s) and IP
 * families, node ports (matched by port and protocol), health check node
 * port, and the LoadBalancer status. ExternalName services have none of these.
 */
export function fromHostService(hostSvc: KubeObject, vSvc: KubeObject): ServiceBackSync {
  const h = (hostSvc.spec ?? {}) as ServiceSpec;
  const v = (vSvc.spec ?? {}) as ServiceSpec;
  const hs = (hostSvc.status ?? {}) as { loadBalancer?: unknown; conditions?: unknown };
  const status: ServiceBackSync['status'] = { loadBalancer: deepCopy(hs.loadBalancer ?? {}) };
  if (hs.conditions) status.conditions = deepCopy(hs.conditions);
  if (v.type === 'ExternalName' || h.type === 'ExternalName') return { spec: {}, status, recreate: false };

  const spec: ServiceBackSync['spec'] = {};
  if (h.clusterIP) spec.clusterIP = h.clusterIP;
  if (h.clusterIPs) spec.clusterIPs = [...h.clusterIPs];
  if (h.ipFamilies) spec.ipFamilies = [...h.ipFamilies];
  if (h.healthCheckNodePort) spec.healthCheckNodePort = h.healthCheckNodePort;
  if (v.ports) {
    spec.ports = v.ports.map((p) => {
      const hp = h.ports?.find((x) => samePort(x, p));
      const { nodePort: _old, ...rest } = p;
      return hp?.nodePort ? { ...rest, nodePort: hp.nodePort } : rest;
    });
  }
  const vIP = v.clusterIP;
  const recreate = vIP !== undefined && vIP !== '' && h.clusterIP !== undefined && vIP !== h.clusterIP;
  return { spec, status, recreate };
}
