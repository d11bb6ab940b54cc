// The Node and Lease objects a simulated kubelet registers and keeps fresh:
// labels, capacity, addresses, node info and the conditions a healthy kubelet
// reports, with upstream's reasons and messages.

import { createHash } from 'node:crypto';
import type { KubeObject } from '../api/types.ts';
import { canonicalQuantity } from '../api/validation/quantity.ts';
import { nowTimestamp } from '../registry/generic/metadata.ts';
import type { NodeCondition, ResourceList } from './api.ts';
import { microTimestamp } from './api.ts';

export const kubeletVersion = 'v1.36.0';
export const containerRuntimeVersion = 'containerd://2.1.4';
export const nodeLeaseNamespace = 'kube-node-lease';
/** Label on every simulated node. */
export const simulatedLabel = 'kubevisor.dev/simulated';

export interface NodeIdentity {
  name: string;
  hostIP: string;
  podCIDR: string;
  capacity: ResourceList;
  labels?: Record<string, string>;
}

export function arch(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : process.arch;
}

function hexOf(text: string, n: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, n);
}

function uuidOf(text: string): string {
  const h = hexOf(text, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function nodeLabels(id: NodeIdentity): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': arch(),
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': arch(),
    'kubernetes.io/hostname': id.name,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': 'kubevisor',
    [simulatedLabel]: 'true',
    ...(id.labels ?? {}),
  };
}

function canonical(list: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(list)) out[k] = canonicalQuantity(v) as string;
  return out;
}

/** What a healthy kubelet reports, keeping transition (and the route's heartbeat) times that did not change. */
export function healthyConditions(prev: readonly NodeCondition[] | undefined, now: Date): NodeCondition[] {
  const ts = nowTimestamp(now);
  const want: [string, 'True' | 'False', string, string][] = [
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
    ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
    ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
  ];
  const out: NodeCondition[] = [];
  // Set once by the network plugin / route controller, not by the kubelet's heartbeat.
  const net = prev?.find((c) => c.type === 'NetworkUnavailable');
  out.push(net && net.status === 'False' ? net : {
    type: 'NetworkUnavailable', status: 'False', lastHeartbeatTime: ts, lastTransitionTime: ts,
    reason: 'RouteCreated', message: 'RouteController created a route',
  });
  for (const [type, status, reason, message] of want) {
    const p = prev?.find((c) => c.type === type);
    out.push({
      type, status, lastHeartbeatTime: ts,
      lastTransitionTime: p && p.status === status && p.lastTransitionTime ? p.lastTransitionTime : ts,
      reason, message,
    });
  }
  return out;
}

/** Whether the node shows what its kubelet reports (apart from heartbeat times). */
export function conditionsHealthy(conds: readonly NodeCondition[] | undefined): boolean {
  const want: Record<string, string> = { MemoryPressure: 'False', DiskPressure: 'False', PIDPressure: 'False', Ready: 'True' };
  return Object.entries(want).every(([t, s]) => conds?.some((c) => c.type === t && c.status === s));
}

export function nodeStatusFor(id: NodeIdentity, prev: readonly NodeCondition[] | undefined, now: Date): Record<string, unknown> {
  const cap = canonical(id.capacity);
  return {
    capacity: cap,
    allocatable: { ...cap },
    conditions: healthyConditions(prev, now),
    addresses: [{ type: 'InternalIP', address: id.hostIP }, { type: 'Hostname', address: id.name }],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: hexOf(`machine/${id.name}`, 32),
      systemUUID: uuidOf(`system/${id.name}`),
      bootID: uuidOf(`boot/${id.name}/${process.pid}`),
      kernelVersion: '6.8.0-kubevisor',
      osImage: 'Kubevisor Simulated Node',
      containerRuntimeVersion,
      kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: arch(),
    },
  };
}

export function newNode(id: NodeIdentity, now: Date): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name: id.name,
      labels: nodeLabels(id),
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { podCIDR: id.podCIDR, podCIDRs: [id.podCIDR], providerID: `kubevisor://${id.name}` },
    status: nodeStatusFor(id, undefined, now),
  };
}

export function newLease(node: KubeObject, durationSeconds: number, now: Date): KubeObject {
  const name = node.metadata.name as string;
  return {
    apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
    metadata: {
      name, namespace: nodeLeaseNamespace,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid as string }],
    },
    spec: { holderIdentity: name, leaseDurationSeconds: durationSeconds, renewTime: microTimestamp(now) },
  };
}
