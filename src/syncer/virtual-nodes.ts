// Virtual nodes: a node appears in the virtual cluster for each host node that
// runs one of its synced pods (so the virtual pod can be bound to it and
// `kubectl get nodes` shows where things run), and goes once no virtual pod
// is bound to it. Their data is made up (Ready, generous capacity), so the host
// cluster's own nodes stay out of the tenant's sight, unless the cluster's
// spec.host.sync.nodes is "real": then they show the host node's labels,
// taints, unschedulable and status (translate/node-data.ts; not the taints
// the cluster's enforced tolerations tolerate), kept up to date.
import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import { nowTimestamp } from '../registry/generic/metadata.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import type { SyncContext } from './context.ts';
import { FIELD_MANAGER } from './resources.ts';
import { hostName } from './translate/index.ts';
import { HOST_NODE_LABEL, nodeDiffers, realNode, withNodeSpec, withNodeStatus } from './translate/node-data.ts';

const FAKE_LABEL = 'kubevisor.dev/fake-node';

/** A virtual node the syncer made (fake or showing its host node). */
export function isSyncerNode(node: KubeObject): boolean {
  const l = node.metadata.labels ?? {};
  return l[FAKE_LABEL] === 'true' || l[HOST_NODE_LABEL] === 'true';
}

/** What the virtual node `name` should show: the host node's data, or made-up data (also while the host node is unknown). */
function wantedNode(s: SyncContext, name: string): KubeObject {
  const host = s.fromHost.nodeData === 'real' ? s.fromHost.hostNode(name) : undefined;
  return host ? realNode(host, s.enforced?.tolerations) : fakeNode(name, s.vc.version.gitVersion ?? '');
}

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
    await s.vc.store.create(s.defs.nodes, undefined, wantedNode(s, name), { fieldManager: FIELD_MANAGER });
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 409)) throw e;
  }
}

/**
 * Remove the virtual node `name` if it is one of ours and no virtual pod is
 * bound to it; else bring its data in line (the host node's, when "real").
 */
export async function syncVirtualNode(s: SyncContext, name: string): Promise<void> {
  const node = s.peek(s.defs.nodes, undefined, name);
  if (!node || !isSyncerNode(node)) return;
  for (const c of s.vc.cache.scan(resourcePrefix(s.defs.pods))) {
    const bound = nodeOf(c.obj);
    // A pod about to be bound to the node (its host pod runs there) keeps it too.
    if (bound === name || (!bound && nodeOf(s.hosts.pods.get(hostName(c.obj.metadata.name as string, c.obj.metadata.namespace as string, s.name))) === name)) {
      return await refreshNode(s, node);
    }
  }
  try {
    await s.vc.store.delete(s.defs.nodes, undefined, name, { preconditions: { uid: node.metadata.uid }, fieldManager: FIELD_MANAGER });
  } catch (e) {
    if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
  }
}

function nodeOf(pod: KubeObject | undefined): string | undefined {
  return (pod?.spec as { nodeName?: string } | undefined)?.nodeName;
}

/**
 * Show the host node's data on a real node (taints or a cordon the tenant set
 * there give way to the host's at its next change); turn a node back to fake
 * data when the cluster no longer wants real.
 */
async function refreshNode(s: SyncContext, node: KubeObject): Promise<void> {
  const name = node.metadata.name as string;
  const real = node.metadata.labels?.[HOST_NODE_LABEL] === 'true';
  if (s.fromHost.nodeData === 'real' ? !s.fromHost.hostNode(name) : !real) return;
  const want = wantedNode(s, name);
  const d = nodeDiffers(node, want);
  const uid = node.metadata.uid;
  const write = async (subresource: 'status' | undefined, change: (o: KubeObject) => void) => {
    try {
      await s.vc.store.guaranteedUpdate(s.defs.nodes, undefined, name, (cur) => {
        const o = cur as KubeObject;
        if (o.metadata.uid === uid) change(o);
        return o;
      }, { subresource, fieldManager: FIELD_MANAGER });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  };
  if (d.labels || d.spec) {
    await write(undefined, (o) => {
      o.metadata.labels = want.metadata.labels;
      o.spec = withNodeSpec(o.spec, want.spec);
    });
  }
  if (d.status) await write('status', (o) => { o.status = withNodeStatus(o.status, want.status); });
}
