// Helpers for the scheduler's tests: a test cluster with the scheduler
// running, nodes and pods made directly in its store, and waits for outcomes.

import type { KubeObject, OwnerReference } from '../../api/types.ts';
import { eventually, openTestCluster, type TestCluster } from '../../../test/support/cluster.ts';
import type { PodStatus, Taint } from '../../nodes/api.ts';
import { startScheduler } from './scheduler.ts';

export interface NodeOpts { labels?: Record<string, string>; taints?: Taint[]; cpu?: string; memory?: string; pods?: string }

export async function addNode(tc: TestCluster, name: string, o: NodeOpts = {}): Promise<void> {
  const capacity = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110' };
  await tc.vc.store.create(tc.ctx.def('', 'v1', 'nodes'), undefined, {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { taints: o.taints },
    status: { capacity, allocatable: capacity, conditions: [{ type: 'Ready', status: 'True' }] },
  });
}

export interface PodOpts {
  labels?: Record<string, string>;
  namespace?: string;
  cpu?: string;
  spec?: Record<string, unknown>;
  ownerReferences?: OwnerReference[];
}

export async function addPod(tc: TestCluster, name: string, o: PodOpts = {}): Promise<KubeObject> {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  return tc.vc.store.create(tc.ctx.def('', 'v1', 'pods'), o.namespace ?? 'default', {
    metadata: { name, labels: o.labels, ownerReferences: o.ownerReferences },
    spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests } }], ...(o.spec ?? {}) },
  });
}

export function podOf(tc: TestCluster, name: string, ns = 'default'): KubeObject | undefined {
  return tc.vc.store.peek(tc.ctx.def('', 'v1', 'pods'), ns, name);
}

export const nodeOf = (tc: TestCluster, name: string, ns = 'default'): string | undefined =>
  (podOf(tc, name, ns)?.spec as { nodeName?: string } | undefined)?.nodeName;

export function scheduledCondition(tc: TestCluster, name: string, ns = 'default') {
  return (podOf(tc, name, ns)?.status as PodStatus | undefined)?.conditions?.find((c) => c.type === 'PodScheduled');
}

export async function waitBound(tc: TestCluster, name: string, ns = 'default'): Promise<string> {
  await eventually(() => nodeOf(tc, name, ns) !== undefined, 3000, `${name} bound`);
  return nodeOf(tc, name, ns) as string;
}

export async function waitUnschedulable(tc: TestCluster, name: string, ns = 'default'): Promise<string> {
  await eventually(() => scheduledCondition(tc, name, ns)?.reason === 'Unschedulable', 3000, `${name} unschedulable`);
  return scheduledCondition(tc, name, ns)?.message as string;
}

/** The message once it is `want` (or the last one seen, for the assertion to show). */
export async function waitMessage(tc: TestCluster, name: string, want: string, ns = 'default'): Promise<string> {
  try {
    await eventually(() => scheduledCondition(tc, name, ns)?.message === want, 3000, `${name}: ${want}`);
  } catch {
    // Fall through: the caller's assertion shows the difference.
  }
  return scheduledCondition(tc, name, ns)?.message as string;
}

export async function withScheduler(fn: (tc: TestCluster) => Promise<void>): Promise<void> {
  const tc = await openTestCluster();
  const stop = startScheduler(tc.ctx);
  try {
    await fn(tc);
  } finally {
    stop();
    await tc.close();
  }
}

export async function eventsOf(tc: TestCluster, reason: string, ns = 'default'): Promise<KubeObject[]> {
  await tc.ctx.events.flush();
  return (await tc.vc.store.list(tc.ctx.def('', 'v1', 'events'), ns, {})).items.filter((e) => e.reason === reason);
}

/** Three nodes in three zones (a, b, c) unless told otherwise. */
export async function zonedNodes(tc: TestCluster, zones = ['a', 'b', 'c'], o: NodeOpts = {}): Promise<void> {
  for (const [i, z] of zones.entries()) {
    await addNode(tc, `n${i}`, { ...o, labels: { 'topology.kubernetes.io/zone': z, ...(o.labels ?? {}) } });
  }
}

export { eventually };
