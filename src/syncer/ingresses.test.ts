import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.ts';
import type { ResourceDef } from '../registry/types.ts';
import { openTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import type { SyncContext } from './context.ts';
import type { HostCopies } from './copies.ts';
import { IngressSync } from './ingresses.ts';
import type { IngressSpec } from './translate/ingress.ts';

// IngressSync on a real in-process cluster; the host copies are a fake that
// records what it is asked to write and answers with a load balancer.

let tc: TestCluster;
let def: ResourceDef;
let sync: IngressSync;
const written: (KubeObject | undefined)[] = [];
const events: { type: string; reason: string; message: string; name: string }[] = [];
const lb = { ingress: [{ ip: '203.0.113.7' }] };

const bucket = { resource: { apiGroup: 'storage.example.com', kind: 'StorageBucket', name: 'assets' } };
const web = { service: { name: 'web', port: { number: 80 } } };

before(async () => {
  tc = await openTestCluster();
  def = tc.ctx.def('networking.k8s.io', 'v1', 'ingresses');
  await tc.vc.store.create(tc.ctx.def('', 'v1', 'namespaces'), undefined, { metadata: { name: 'shop' } });
  const s = {
    name: 'team-a', hostNamespace: 'tenants', vc: tc.vc,
    ctl: { events: { record: async (o: KubeObject, type: string, reason: string, message: string) => { events.push({ type, reason, message, name: o.metadata.name as string }); } } },
    enqueue: () => {},
  } as unknown as SyncContext;
  const copies = {
    def,
    live: (ns: string, name: string) => tc.vc.store.peek(def, ns, name),
    sync: async (_ns: string, _name: string, _v: KubeObject | undefined, want: KubeObject | undefined) => {
      written.push(want);
      return want ? { ...want, status: { loadBalancer: lb } } : undefined;
    },
  } as unknown as HostCopies;
  sync = new IngressSync(s, copies);
});

after(async () => { await tc.close(); });

const ingress = () => tc.vc.store.peek(def, 'shop', 'site') as KubeObject;

async function setSpec(spec: IngressSpec): Promise<void> {
  if (!tc.vc.store.peek(def, 'shop', 'site')) {
    await tc.vc.store.create(def, 'shop', { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'site' }, spec });
    return;
  }
  await tc.vc.store.guaranteedUpdate(def, 'shop', 'site', (cur) => ({ ...(cur as KubeObject), spec }));
}

test('a path to an object the host cannot reach is left out of the host copy, with one warning', async () => {
  await setSpec({ rules: [{ host: 'shop.example.com', http: { paths: [
    { path: '/assets', pathType: 'Prefix', backend: bucket }, { path: '/', pathType: 'Prefix', backend: web },
  ] } }] });
  await sync.sync('shop', 'site');
  const h = written.at(-1)!;
  assert.deepEqual((h.spec as IngressSpec).rules![0]!.http!.paths.map((p) => p.path), ['/']);
  assert.equal(events.length, 1);
  assert.deepEqual({ ...events[0], message: undefined }, { type: 'Warning', reason: 'SyncWarning', name: 'site', message: undefined });
  assert.match(events[0]!.message, /^spec\.rules\[0\]\.http\.paths\[0\] \(StorageBucket\.storage\.example\.com "assets"\) names an object .* routes without it$/);
  assert.deepEqual((ingress().status as { loadBalancer?: unknown }).loadBalancer, lb);
  // Synced again (a host change, a resync): no second event.
  await sync.sync('shop', 'site');
  assert.equal(events.length, 1);
});

test('an Ingress with nothing left to route leaves the host, says so, and loses its load balancer', async () => {
  await setSpec({ defaultBackend: bucket });
  await sync.sync('shop', 'site');
  assert.equal(written.at(-1), undefined, 'no host copy (an earlier one is removed)');
  assert.equal(events.length, 2);
  assert.match(events[1]!.message, /the Ingress is not synced to the host$/);
  assert.deepEqual((ingress().status as { loadBalancer?: unknown }).loadBalancer, {});
});

test('fixed, the Ingress is copied whole and nothing is said; broken again, it is said again', async () => {
  await setSpec({ defaultBackend: web });
  await sync.sync('shop', 'site');
  assert.deepEqual((written.at(-1)!.spec as IngressSpec).defaultBackend, { service: { name: 'web-x-shop-x-team-a', port: { number: 80 } } });
  assert.equal(events.length, 2);
  await setSpec({ defaultBackend: web, rules: [{ http: { paths: [{ path: '/assets', pathType: 'Prefix', backend: bucket }] } }] });
  await sync.sync('shop', 'site');
  assert.equal(events.length, 3);
  assert.deepEqual(written.at(-1)!.spec, { defaultBackend: { service: { name: 'web-x-shop-x-team-a', port: { number: 80 } } } });
});
