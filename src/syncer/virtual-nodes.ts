// Virtual nodes: a node appears in the virtual cluster for each host node that
// runs one of its synced pods (so the virtual pod can be bound to it and
// `kubectl get nodes` shows where things run), and goes once no virtual pod
// is bound to it. Their data is made up (Ready, generous capacity): the host
// cluster's own nodes stay out of the tenant's sight.
import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import { nowTimestamp } from '../registry/generic/metadata.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import type { SyncContext } from './context.ts';
import { FIELD_MANAGER } from './resources.ts';

const FAKE_LABEL = 'kubevisor.dev/fake-node';

function fakeNode(name: string, kubeletVersion: string): KubeObject {
  const now = nowTimestamp();
  const capacity = { cpu: '16', memory: '64Gi', pods: '110', 'ephemeral-storage': '200Gi' };
  const cond = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: now });
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', [FAKE_LABEL]: 'true' },
    },
    spec: {},
    status: {
      capacity, allocatable: capacity,
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [{ type: 'Hostname', address: name }],
      nodeInfo: {
        architecture: 'amd64', operatingSystem: 'linux', osImage: 'kubevisor virtual node', kernelVersion: '',
        containerRuntimeVersion: 'host://', kubeletVersion, kubeProxyVersion: '', machineID: '', systemUUID: '', bootID: '',
      },
    },
  };
}

/** Make sure the virtual node `name` exists (a virtual pod is about to be bound to it). */
export async function ensureVirtualNode(s: SyncContext, name: string): Promise<void> {
  if (s.peek(s.defs.nodes, undefined, name)) return;
  try {
    await s.vc.store.create(s.defs.nodes, undefined, fakeNode(name, s.vc.version.gitVersion ?? ''), { fieldManager: FIELD_MANAGER });
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 409)) throw e;
  }
}

/** Remove the virtual node `name` if it is one of ours and no virtual pod is bound to it. */
export async function syncVirtualNode(s: SyncContext, name: string): Promise<void> {
  const node = s.peek(s.defs.nodes, undefined, name);
  if (!node || node.metadata.labels?.[FAKE_LABEL] !== 'true') return;
  for (const c of s.vc.cache.scan(resourcePrefix(s.defs.pods))) {
    if ((c.obj.spec as { nodeName?: string } | undefined)?.nodeName === name) return;
  }
  try {
    await s.vc.store.delete(s.defs.nodes, undefined, name, { preconditions: { uid: node.metadata.uid }, fieldManager: FIELD_MANAGER });
  } catch (e) {
    if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
  }
}
