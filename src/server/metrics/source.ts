// Where a virtual cluster's resource usage comes from: the simulated kubelets
// (src/nodes/metrics.ts) or, for a cluster synced to a host, the host's own
// Metrics API (src/syncer/metrics.ts). The server only asks; whoever runs the
// cluster's pods sets the source, so the server imports neither.

import type { KubeObject } from '../../api/types.ts';
import type { VirtualCluster } from '../cluster.ts';

/** When the usage was measured: the end of the sample and its length, both as the Metrics API writes them. */
export interface Sample {
  /** RFC 3339, seconds (metav1.Time). */
  readonly timestamp: string;
  /** A Go duration ("15s", "20.042s"). */
  readonly window: string;
}

/** A resource list: `cpu` and `memory` quantities, as canonical strings. */
export type Usage = Readonly<Record<string, string>>;

export interface NodeSample extends Sample {
  readonly usage: Usage;
}

export interface ContainerSample {
  readonly name: string;
  readonly usage: Usage;
}

export interface PodSample extends Sample {
  readonly containers: readonly ContainerSample[];
}

/**
 * The usage of a cluster's nodes and pods. Each call gets the objects the
 * request selected (nodes; Running pods) and answers for those it has
 * metrics of, by node name or by `NAMESPACE/NAME`; the others have none.
 * Throws MetricsUnavailable when it cannot answer at all.
 */
export interface MetricsSource {
  nodes(nodes: readonly KubeObject[]): ReadonlyMap<string, NodeSample> | Promise<ReadonlyMap<string, NodeSample>>;
  pods(pods: readonly KubeObject[]): ReadonlyMap<string, PodSample> | Promise<ReadonlyMap<string, PodSample>>;
}

/** The source cannot answer (the host serves no Metrics API, or cannot be reached): the API is unavailable, as an aggregated API whose server is down. */
export class MetricsUnavailable extends Error {}

const sources = new WeakMap<VirtualCluster, MetricsSource>();

/** Set the cluster's source of metrics; returns what unsets it (if it is still the one set). */
export function setMetricsSource(vc: VirtualCluster, source: MetricsSource): () => void {
  sources.set(vc, source);
  return () => { if (sources.get(vc) === source) sources.delete(vc); };
}

export function metricsSourceOf(vc: VirtualCluster): MetricsSource | undefined {
  return sources.get(vc);
}

/** The key a pod's sample is found by. */
export function podKey(pod: { metadata: { namespace?: string; name?: string } }): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}
