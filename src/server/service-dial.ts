// A TCP connection to a Service of a virtual cluster, however its pods are
// reached: what the API server needs when it is itself the client of a
// workload (an aggregated API's server behind an APIService, later
// webhooks). The connection is raw TCP to one ready endpoint of the Service's
// port; the caller speaks TLS over it (server name NAME.NAMESPACE.svc, its
// own client certificate), so the backend sees the API server as its peer.
//
// - Standalone clusters (simulated pods): the endpoint pod's
//   `kubevisor.dev/port-forward-<port>` address, when host access is on.
// - A cluster synced to a host sets its own dialer (setServiceDialer): the
//   syncer tunnels to the host pod through the host's pods/portforward.
//
// Failures are ServiceDialErrors whose text is what upstream's service
// resolver says (`service "NAME" not found`, `no endpoints available for
// service "NAME"`, `no service port 443 found for service "NAME"`) or the
// dial's own error.

import type { Duplex } from 'node:stream';
import type { VirtualCluster } from './cluster.ts';

export interface ServiceTarget {
  readonly namespace: string;
  readonly name: string;
  /** The Service's port (spec.ports[].port), not the pod's. */
  readonly port: number;
}

/** Opens a connection to `target`; the promise rejects with a ServiceDialError. */
export type ServiceDialer = (target: ServiceTarget, signal?: AbortSignal) => Promise<Duplex>;

export class ServiceDialError extends Error {
  /** 'resolve': the Service, its port or its endpoints are missing; 'dial': reaching the endpoint failed. */
  readonly stage: 'resolve' | 'dial';
  constructor(message: string, stage: 'resolve' | 'dial') {
    super(message);
    this.stage = stage;
  }
}

const dialers = new WeakMap<VirtualCluster, ServiceDialer>();

/** Reach the cluster's Services through `dialer` (a synced cluster: its host); returns what removes it. */
export function setServiceDialer(vc: VirtualCluster, dialer: ServiceDialer): () => void {
  dialers.set(vc, dialer);
  return () => { if (dialers.get(vc) === dialer) dialers.delete(vc); };
}

/** The dialer a cluster set; undefined for a standalone cluster (its simulated pods' addresses are used). */
export function serviceDialerOf(vc: VirtualCluster): ServiceDialer | undefined {
  return dialers.get(vc);
}
