// The Metrics API (metrics.k8s.io/v1beta1, what `kubectl top` reads) of every
// virtual cluster: declared in its registry (resources.ts), answered by
// api.ts from the usage its MetricsSource gives (source.ts: the simulated
// kubelets' model in src/nodes, or the host's Metrics API through the syncer).

export { metricsApiVersion, metricsGroup, metricsResources, metricsVersion } from './resources.ts';
export { attachMetricsApi } from './api.ts';
export { metricsReaderRole } from './rbac.ts';
export { cpuQuantity, memoryQuantity, quantityValue, sumQuantities } from './quantity.ts';
export {
  MetricsUnavailable, metricsSourceOf, podKey, setMetricsSource,
  type ContainerSample, type MetricsSource, type NodeSample, type PodSample, type Sample, type Usage,
} from './source.ts';
