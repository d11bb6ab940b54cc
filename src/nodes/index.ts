// Simulated nodes and node lifecycle for standalone clusters (no host cluster).

export { startSimulatedNodes, NodeSimulator } from './simulator.ts';
export type { SimulatedNodesOptions, StopSimulatedNodes } from './simulator.ts';
export { startNodeLifecycleController, NodeLifecycleController } from './lifecycle.ts';
export type { NodeLifecycleOptions } from './lifecycle.ts';
export type { KubeletTiming } from './kubelet.ts';
export { defaultTiming } from './kubelet.ts';
export { completeAfterAnnotation, delayAnnotation, failAnnotation, neverReadyAnnotation } from './annotations.ts';
export { kubeletVersion, simulatedLabel } from './node-object.ts';
export { simulatedMetricsSource, startSimulatedMetrics } from './metrics.ts';
export { usageCpuAnnotation, usageMemoryAnnotation } from './usage.ts';
