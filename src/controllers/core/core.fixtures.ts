// Objects the core controllers' tests make: nodes, pods with a status as a
// kubelet would report it, and services.

import type { KubeObject } from '../../api/types.ts';
import type { TestCluster } from '../../../test/support/cluster.ts';

export interface PodFixture {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  ip?: string;
  nodeName?: string;
  ready?: boolean;
  phase?: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  hostname?: string;
  subdomain?: string;
  readySince?: string;
}

export async function makeNode(c: TestCluster, name: string, labels: Record<string, string> = {}): Promise<KubeObject> {
  return c.vc.store.create(c.ctx.def('', 'v1', 'nodes'), undefined, { metadata: { name, labels } });
}

export async function makePod(c: TestCluster, f: PodFixture): Promise<KubeObject> {
  const def = c.ctx.def('', 'v1', 'pods');
  const ns = f.namespace ?? 'default';
  const spec: Record<string, unknown> = { containers: [{ name: 'app', image: 'nginx', ports: f.ports ?? [] }] };
  if (f.nodeName) spec.nodeName = f.nodeName;
  if (f.hostname) spec.hostname = f.hostname;
  if (f.subdomain) spec.subdomain = f.subdomain;
  await c.vc.store.create(def, ns, { metadata: { name: f.name, labels: f.labels ?? {} }, spec });
  return setPodStatus(c, f);
}

export async function setPodStatus(c: TestCluster, f: PodFixture): Promise<KubeObject> {
  const def = c.ctx.def('', 'v1', 'pods');
  const ns = f.namespace ?? 'default';
  const since = f.readySince ?? '2025-01-01T00:00:00Z';
  const { obj } = await c.vc.store.guaranteedUpdate(def, ns, f.name, (cur) => {
    const o = cur as KubeObject;
    const status: Record<string, unknown> = {
      phase: f.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: f.ready === false ? 'False' : 'True', lastTransitionTime: since }],
    };
    if (f.ip) {
      status.podIP = f.ip;
      status.podIPs = [{ ip: f.ip }];
    }
    o.status = status;
    return o;
  }, { subresource: 'status' });
  return obj;
}

export async function makeService(c: TestCluster, name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}, namespace = 'default'): Promise<KubeObject> {
  return c.vc.store.create(c.ctx.def('', 'v1', 'services'), namespace, { metadata: { name, labels }, spec });
}
