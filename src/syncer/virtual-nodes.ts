// Virtual nodes: a node appears in the virtual cluster for each host node that
// runs one of its synced pods (so the virtual pod can be bound to it and
// `kubectl get nodes` shows where things run), and goes once no virtual pod
// is bound to it. With spec.host.sync.allNodes every host node the cluster's
// pods may run on (translate/tenant-scheduling.ts, hostNodeShown) appears too,
// for a scheduler of the tenant's to choose among, and goes with its host node
// (or once it may no longer be used) when no virtual pod is bound to it.
// Their data is made up (Ready, generous capacity), so the host cluster's own
// nodes' details stay out of the tenant's sight, unless the cluster's
// spec.host.sync.nodes is "real": then they show the host node's labels,
// taints, unschedulable and status (translate/node-data.ts; not the taints
// the cluster's enforced tolerations tolerate), kept up to date.
//
// A real node is the syncer's, as upstream vcluster's are with syncing back
// off: a tenant's change to it (`kubectl cordon`, `taint`, `label`, a status
// write) is undone as soon as it is seen (watchVirtualNodes), not at the host
// node's next change. A fake node's labels and spec are the tenant's to edit,
// as upstream's fake nodes are (it only keeps their addresses): the made-up data
// describes no real machine to stay true to, and a cordon or label there (for
// a drain or a nodeSelector) harms no one, so it is not undone.
import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import { nowTimestamp } from '../registry/generic/metadata.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import { syncKey, type SyncContext } from './context.ts';
import { FIELD_MANAGER } from './resources.ts';
import { hostName } from './translate/index.ts';
import { HOST_NODE_LABEL, nodeDiffers, realNode, withNodeSpec, withNodeStatus } from './translate/node-data.ts';
import { hostNodeShown } from './translate/tenant-scheduling.ts';

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
 * With allNodes, whether the host node `name` has a virtual node for its own
 * sake; undefined while the host nodes are not listed yet (a missing one
 * proves nothing). Without allNodes: false.
 */
function shownForAllNodes(s: SyncContext, name: string): boolean | undefined {
  if (!s.fromHost.allNodes) return false;
  if (!s.fromHost.nodesSynced) return undefined;
  const host = s.fromHost.hostNode(name);
  return host !== undefined && hostNodeShown(host, s.enforced);
}

/**
 * Make the virtual node `name` for a host node allNodes shows; remove it if it
 * is one of ours, not shown that way, and no virtual pod is bound to it; else
 * bring its data in line (the host node's, when "real").
 */
export async function syncVirtualNode(s: SyncContext, name: string): Promise<void> {
  const node = s.peek(s.defs.nodes, undefined, name);
  const shown = shownForAllNodes(s, name);
  if (!node) {
    if (shown) await ensureVirtualNode(s, name);
    return;
  }
  if (!isSyncerNode(node)) return;
  if (shown !== false) return await refreshNode(s, node);
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
 * What refreshNode changes on `node`, undefined when nothing: a real node shows
 * its host node's data (whatever the tenant set there), and turns back to fake
 * data when the cluster no longer wants real; a fake node turns real once its
 * host node is known. Otherwise a fake node is left as it is (its labels and
 * spec are the tenant's), as is a real one whose host node is unknown for now.
 */
function refreshOf(s: SyncContext, node: KubeObject): { want: KubeObject; labels: boolean; spec: boolean; status: boolean } | undefined {
  const name = node.metadata.name as string;
  const real = node.metadata.labels?.[HOST_NODE_LABEL] === 'true';
  if (s.fromHost.nodeData === 'real' ? !s.fromHost.hostNode(name) : !real) return undefined;
  const want = wantedNode(s, name);
  const d = nodeDiffers(node, want);
  return d.labels || d.spec || d.status ? { want, ...d } : undefined;
}

/**
 * Queue the sync of a syncer's node whenever a change in the virtual cluster
 * (the tenant's, mostly) leaves it other than refreshNode wants it, so the
 * host's data is put back at once. The syncer's own writes leave it as
 * wanted: the last one's event queues nothing, so no write follows. Returns
 * the unsubscribe.
 */
export function watchVirtualNodes(s: SyncContext): () => void {
  return s.vc.cache.subscribe({
    prefix: resourcePrefix(s.defs.nodes),
    onEvent: (ev) => {
      // With allNodes a node deleted in the virtual cluster comes back while its host node is there.
      if (ev.type === 'DELETED' && s.fromHost.allNodes && isSyncerNode(ev.obj)) s.enqueue(syncKey('node', undefined, ev.obj.metadata.name as string));
      if (ev.type === 'DELETED' || !isSyncerNode(ev.obj) || !refreshOf(s, ev.obj)) return;
      s.enqueue(syncKey('node', undefined, ev.obj.metadata.name as string));
    },
  });
}

/**
 * Bring a node in line with refreshOf: a real node gets the host node's
 * labels, taints, unschedulable and status back, whether the host's changed or
 * a tenant changed the node (a cordon, taint or label of its own is undone;
 * watchVirtualNodes queues the sync); a fake node's spec and labels stay the
 * tenant's. No write loop: the defaults a spec write gets (allocatable from
 * capacity) the status write then undoes, and that one gets none; a write that
 * changes nothing stores nothing (no event).
 */
async function refreshNode(s: SyncContext, node: KubeObject): Promise<void> {
  const r = refreshOf(s, node);
  if (!r) return;
  const { want } = r;
  const name = node.metadata.name as string;
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
  if (r.labels || r.spec) {
    await write(undefined, (o) => {
      o.metadata.labels = want.metadata.labels;
      o.spec = withNodeSpec(o.spec, want.spec);
    });
  }
  if (r.status) await write('status', (o) => { o.status = withNodeStatus(o.status, want.status); });
}
