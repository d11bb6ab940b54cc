// Helpers for the policy tests: namespaces, pods in a given state, and
// creates that go through the admission steps the server runs.

import type { KubeObject } from '../../api/types.ts';
import type { ResourceDef } from '../../registry/types.ts';
import type { ControllerContext } from '../context.ts';
import { openTestCluster } from '../../../test/support/cluster.ts';
import type { TestCluster } from '../../../test/support/cluster.ts';
import { installPolicyAdmission } from './admission.ts';

export async function createNamespace(ctx: ControllerContext, name: string): Promise<void> {
  await ctx.vc.store.create(ctx.def('', 'v1', 'namespaces'), undefined, { metadata: { name } });
}

export interface PodOptions {
  labels?: Record<string, string>;
  requests?: Record<string, string>;
  limits?: Record<string, string>;
  nodeName?: string;
  owner?: KubeObject;
  spec?: Record<string, unknown>;
  generateName?: boolean;
}

export function podObject(name: string, o: PodOptions = {}): KubeObject {
  const resources: Record<string, unknown> = {};
  if (o.requests) resources.requests = o.requests;
  if (o.limits) resources.limits = o.limits;
  const meta: KubeObject['metadata'] = o.generateName ? { generateName: name } : { name };
  if (o.labels) meta.labels = o.labels;
  if (o.owner) {
    meta.ownerReferences = [{
      apiVersion: o.owner.apiVersion as string, kind: o.owner.kind as string, name: o.owner.metadata.name as string,
      uid: o.owner.metadata.uid as string, controller: true, blockOwnerDeletion: true,
    }];
  }
  const spec: Record<string, unknown> = { containers: [{ name: 'app', image: 'nginx', resources }], ...(o.spec ?? {}) };
  if (o.nodeName) spec.nodeName = o.nodeName;
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta, spec };
}

/** A test cluster whose store runs LimitRanger and ResourceQuota admission. */
export async function openPolicyCluster(): Promise<TestCluster> {
  const tc = await openTestCluster();
  installPolicyAdmission(tc.ctx);
  return tc;
}

/** Create through the store (and so through its admission plugins). */
export async function admitAndCreate(ctx: ControllerContext, def: ResourceDef, namespace: string, obj: KubeObject): Promise<KubeObject> {
  return ctx.vc.store.create(def, namespace, obj);
}

export async function createPod(ctx: ControllerContext, namespace: string, name: string, o: PodOptions = {}): Promise<KubeObject> {
  return ctx.vc.store.create(ctx.def('', 'v1', 'pods'), namespace, podObject(name, o));
}

/** Give a pod a phase and (for Running) a Ready condition. */
export async function setPodState(ctx: ControllerContext, namespace: string, name: string, phase: string, ready = phase === 'Running'): Promise<KubeObject> {
  const def = ctx.def('', 'v1', 'pods');
  const r = await ctx.vc.store.guaranteedUpdate(def, namespace, name, (cur) => {
    const pod = cur as KubeObject;
    const status = { ...(pod.status as Record<string, unknown> ?? {}) };
    status.phase = phase;
    status.conditions = [{ type: 'Ready', status: ready ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: '2024-01-01T00:00:00Z' }];
    pod.status = status;
    return pod;
  }, { subresource: 'status' });
  return r.obj;
}

export async function runningPod(ctx: ControllerContext, namespace: string, name: string, o: PodOptions = {}, ready = true): Promise<KubeObject> {
  await createPod(ctx, namespace, name, o);
  return setPodState(ctx, namespace, name, 'Running', ready);
}

/** The ApiError a promise rejects with (fails the test when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<{ code: number; message: string; reason: string; details?: unknown; headers: Record<string, string> }> {
  try {
    await p;
  } catch (e) {
    return e as { code: number; message: string; reason: string; details?: unknown; headers: Record<string, string> };
  }
  throw new Error('expected a rejection');
}
