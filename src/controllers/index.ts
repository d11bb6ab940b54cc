// The controllers every virtual cluster runs, started when the server opens the cluster.

import type { VirtualCluster } from '../server/cluster.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import { namespaceController } from './namespace.ts';
import { startCrdControllers } from './crd.ts';

export interface StandaloneOptions {
  /** Simulated nodes that run pods (standalone mode). */
  nodes: number;
  /** PEM of the cluster CA, published as kube-root-ca.crt in every namespace. */
  caCert: string;
}

/** The controllers of a standalone cluster, for ServerOptions.onClusterOpen. */
export function startControllers(opts: StandaloneOptions): (vc: VirtualCluster) => () => void {
  return (vc) => startClusterControllers(vc, opts);
}

/** Start a cluster's controllers; returns a function that stops them. */
export function startClusterControllers(vc: VirtualCluster, _opts: StandaloneOptions): () => void {
  const nsDef = vc.registry.find('', 'v1', 'namespaces');
  if (!nsDef) return () => {};
  const ns = namespaceController(vc.store, vc.registry);
  const unwatch = ns.watch(vc.cache, resourcePrefix(nsDef), (ev) => ev.obj.metadata.name);
  // Namespaces already terminating when the server starts.
  for (const c of vc.cache.scan(resourcePrefix(nsDef))) {
    if (c.obj.metadata.deletionTimestamp) ns.enqueue(c.obj.metadata.name as string);
  }
  const stopCrds = startCrdControllers(vc);
  return () => { unwatch(); ns.stop(); stopCrds(); };
}
