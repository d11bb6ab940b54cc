// The parts of core/v1 Pod, Node and coordination/v1 Lease that the simulated
// nodes, the node lifecycle controller and the scheduler read and write. Objects
// come from the watch cache as plain JSON; these shapes only describe them.

import type { KubeObject } from '../api/types.ts';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: '' | 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  timeAdded?: string;
}

export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
  preferredDuringSchedulingIgnoredDuringExecution?: { weight: number; preference: NodeSelectorTerm }[];
}

export type ResourceList = Record<string, string | number>;

export interface ContainerPort { containerPort?: number; hostPort?: number; hostIP?: string; protocol?: string }

export interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  restartPolicy?: 'Always';
  resources?: { requests?: ResourceList; limits?: ResourceList };
  ports?: ContainerPort[];
  readinessProbe?: { initialDelaySeconds?: number };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface PodSpec {
  nodeName?: string;
  schedulerName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: { nodeAffinity?: NodeAffinity };
  tolerations?: Toleration[];
  containers?: Container[];
  initContainers?: Container[];
  /** Added after creation through pods/ephemeralcontainers; never restarted. */
  ephemeralContainers?: Container[];
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  terminationGracePeriodSeconds?: number;
  activeDeadlineSeconds?: number;
  readinessGates?: { conditionType: string }[];
  schedulingGates?: { name: string }[];
  hostNetwork?: boolean;
  overhead?: ResourceList;
  resources?: { requests?: ResourceList; limits?: ResourceList };
  priority?: number;
  preemptionPolicy?: 'PreemptLowerPriority' | 'Never';
}

export interface PodCondition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
  reason?: string;
  message?: string;
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode: number; reason?: string; message?: string; startedAt?: string; finishedAt?: string; containerID?: string };
}

export interface ContainerStatus {
  name: string;
  state?: ContainerState;
  lastState?: ContainerState;
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started?: boolean;
  [field: string]: unknown;
}

export interface PodStatus {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  conditions?: PodCondition[];
  message?: string;
  reason?: string;
  hostIP?: string;
  hostIPs?: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime?: string;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
  ephemeralContainerStatuses?: ContainerStatus[];
  qosClass?: string;
  nominatedNodeName?: string;
  observedGeneration?: number;
  [field: string]: unknown;
}

export interface NodeCondition {
  type: string;
  status: ConditionStatus;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface NodeSpec {
  podCIDR?: string;
  podCIDRs?: string[];
  providerID?: string;
  unschedulable?: boolean;
  taints?: Taint[];
}

export interface NodeStatus {
  capacity?: ResourceList;
  allocatable?: ResourceList;
  conditions?: NodeCondition[];
  addresses?: { type: string; address: string }[];
  [field: string]: unknown;
}

export function podSpec(pod: KubeObject): PodSpec {
  return (pod.spec ?? {}) as PodSpec;
}

export function podStatus(pod: KubeObject): PodStatus {
  return (pod.status ?? {}) as PodStatus;
}

export function nodeSpec(node: KubeObject): NodeSpec {
  return (node.spec ?? {}) as NodeSpec;
}

export function nodeStatus(node: KubeObject): NodeStatus {
  return (node.status ?? {}) as NodeStatus;
}

export function podKey(pod: KubeObject): string {
  return `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

/** Succeeded or Failed: the pod will not run again. */
export function isTerminal(pod: KubeObject): boolean {
  const phase = podStatus(pod).phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function findCondition<T extends { type: string }>(conds: readonly T[] | undefined, type: string): T | undefined {
  return conds?.find((c) => c.type === type);
}

/** metav1.MicroTime, as leases carry it. */
export function microTimestamp(d: Date): string {
  return d.toISOString().replace(/(\.\d{3})Z$/, '$1000Z');
}

/**
 * Set a pod condition as upstream's UpdatePodCondition does: the transition
 * time moves only when the status changes. Returns the new list.
 */
export function withPodCondition(conds: readonly PodCondition[] | undefined, c: PodCondition, now: string): PodCondition[] {
  const out = [...(conds ?? [])];
  const i = out.findIndex((x) => x.type === c.type);
  const prev = i >= 0 ? out[i] : undefined;
  const next: PodCondition = { ...c };
  if (next.lastProbeTime === undefined) next.lastProbeTime = null;
  next.lastTransitionTime = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
  if (i >= 0) out[i] = next; else out.push(next);
  return out;
}
