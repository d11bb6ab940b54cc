import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.ts';
import type { ResourceDef } from '../registry/types.ts';
import { openTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { syncKey, type SyncContext } from './context.ts';
import type { HostCopies } from './copies.ts';
import { HostError } from './host/index.ts';
import { IngressSync } from './ingresses.ts';
import { syncObject } from './objects.ts';
import type { IngressSpec } from './translate/ingress.ts';

// IngressSync on a real in-process cluster; the host copies of Ingresses are a
// fake that records what it is asked to write and answers with a load
// balancer. The Secrets an Ingress names go to a fake host holding Secrets by
// name (syncObject writes them through the real HostCopies).

let tc: TestCluster;
let def: ResourceDef;
let secretsDef: ResourceDef;
let s: SyncContext;
let sync: IngressSync;
const written: (KubeObject | undefined)[] = [];
/** Host writes in order: "secret NAME", "ingress". */
const log: string[] = [];
/** What the syncer queued (a Secret an Ingress no longer names, ...). */
const queued: string[] = [];
const hostSecrets = new Map<string, KubeObject>();
let hostRv = 0;
const hostConn = {
  create: async (_r: unknown, ns: string, obj: KubeObject) => {
    const name = obj.metadata.name as string;
    if (hostSecrets.has(name)) throw new HostError(409, 'AlreadyExists', `${name} already exists`);
    const o = structuredClone(obj);
    o.metadata = { ...o.metadata, namespace: ns, uid: `host-${++hostRv}`, resourceVersion: String(hostRv) };
    hostSecrets.set(name, o);
    log.push(`secret ${name}`);
    return structuredClone(o);
  },
  update: async (_r: unknown, _ns: string, obj: KubeObject) => {
    const o = structuredClone(obj);
    o.metadata = { ...o.metadata, resourceVersion: String(++hostRv) };
    hostSecrets.set(o.metadata.name as string, o);
    return structuredClone(o);
  },
  delete: async (_r: unknown, _ns: string, name: string) => {
    const o = hostSecrets.get(name);
    if (!o) throw new HostError(404, 'NotFound', `${name} not found`);
    hostSecrets.delete(name);
    return o;
  },
  get: async (_r: unknown, _ns: string, name: string) => {
    const o = hostSecrets.get(name);
    if (!o) throw new HostError(404, 'NotFound', `${name} not found`);
    return structuredClone(o);
  },
};
const events: { type: string; reason: string; message: string; name: string }[] = [];
const lb = { ingress: [{ ip: '203.0.113.7' }] };

const bucket = { resource: { apiGroup: 'storage.example.com', kind: 'StorageBucket', name: 'assets' } };
const web = { service: { name: 'web', port: { number: 80 } } };

before(async () => {
  tc = await openTestCluster();
  def = tc.ctx.def('networking.k8s.io', 'v1', 'ingresses');
  secretsDef = tc.ctx.def('', 'v1', 'secrets');
  await tc.vc.store.create(tc.ctx.def('', 'v1', 'namespaces'), undefined, { metadata: { name: 'shop' } });
  await tc.vc.store.create(tc.ctx.def('', 'v1', 'namespaces'), undefined, { metadata: { name: 'billing' } });
  s = {
    name: 'team-a', hostNamespace: 'tenants', vc: tc.vc,
    ctl: { events: { record: async (o: KubeObject, type: string, reason: string, message: string) => { events.push({ type, reason, message, name: o.metadata.name as string }); } } },
    enqueue: (key: string) => { queued.push(key); },
    conn: hostConn,
    hosts: { secrets: { get: (name: string) => structuredClone(hostSecrets.get(name)), observe: () => {} } },
    defs: { secrets: secretsDef },
    peek: (d: ResourceDef, ns: string | undefined, name: string) => tc.vc.store.peek(d, ns, name),
  } as unknown as SyncContext;
  const copies = {
    def,
    live: (ns: string, name: string) => tc.vc.store.peek(def, ns, name),
    sync: async (_ns: string, _name: string, _v: KubeObject | undefined, want: KubeObject | undefined) => {
      written.push(want);
      log.push('ingress');
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

// Annotations naming Secrets and Services.

const NGINX = 'nginx.ingress.kubernetes.io';
const ALB = 'alb.ingress.kubernetes.io';

async function setAnnotations(annotations: Record<string, string>): Promise<void> {
  await tc.vc.store.guaranteedUpdate(def, 'shop', 'site', (cur) => {
    const o = cur as KubeObject;
    return { ...o, metadata: { ...o.metadata, annotations } };
  });
}

async function putSecret(ns: string, name: string): Promise<void> {
  await tc.vc.store.create(secretsDef, ns, { apiVersion: 'v1', kind: 'Secret', metadata: { name }, data: { auth: 'Zm9vOmJhcg==' } });
}

const hostAnnotations = () => written.at(-1)!.metadata.annotations ?? {};

test('an auth-secret annotation names the host copy of its Secret, which is on the host before the Ingress and counts as used', async () => {
  await putSecret('shop', 'basic-auth');
  await setSpec({ defaultBackend: web });
  await setAnnotations({ [`${NGINX}/auth-type`]: 'basic', [`${NGINX}/auth-secret`]: 'basic-auth' });
  log.length = 0;
  await sync.sync('shop', 'site');
  assert.equal(hostAnnotations()[`${NGINX}/auth-secret`], 'basic-auth-x-shop-x-team-a');
  const h = hostSecrets.get('basic-auth-x-shop-x-team-a');
  assert.ok(h, 'the Secret is on the host under its host name');
  assert.deepEqual(h['data'], { auth: 'Zm9vOmJhcg==' });
  assert.deepEqual(log, ['secret basic-auth-x-shop-x-team-a', 'ingress']);
  assert.equal(sync.usesSecret('shop', 'basic-auth'), true);
  assert.equal(sync.usesSecret('shop', 'other'), false);
});

test('a NAMESPACE/NAME reference into the Ingress\'s namespace becomes HOSTNAMESPACE/HOSTNAME', async () => {
  await putSecret('shop', 'client-ca');
  await putSecret('shop', 'backend-cert');
  await setAnnotations({
    [`${NGINX}/auth-secret`]: 'shop/basic-auth', [`${NGINX}/auth-tls-secret`]: 'shop/client-ca', [`${NGINX}/proxy-ssl-secret`]: 'shop/backend-cert',
  });
  await sync.sync('shop', 'site');
  const a = hostAnnotations();
  assert.equal(a[`${NGINX}/auth-secret`], 'tenants/basic-auth-x-shop-x-team-a');
  assert.equal(a[`${NGINX}/auth-tls-secret`], 'tenants/client-ca-x-shop-x-team-a');
  assert.equal(a[`${NGINX}/proxy-ssl-secret`], 'tenants/backend-cert-x-shop-x-team-a');
  for (const n of ['basic-auth', 'client-ca', 'backend-cert']) {
    assert.ok(hostSecrets.has(`${n}-x-shop-x-team-a`), `${n} is on the host`);
    assert.equal(sync.usesSecret('shop', n), true);
  }
});

test('default-backend names the host copy of its Service; an unrelated annotation is copied as it is', async () => {
  await setAnnotations({ [`${NGINX}/default-backend`]: 'fallback', [`${NGINX}/rewrite-target`]: '/', 'example.com/note': 'shop/basic-auth' });
  const before = events.length;
  await sync.sync('shop', 'site');
  const a = hostAnnotations();
  assert.equal(a[`${NGINX}/default-backend`], 'fallback-x-shop-x-team-a');
  assert.equal(a[`${NGINX}/rewrite-target`], '/');
  assert.equal(a['example.com/note'], 'shop/basic-auth');
  assert.equal(events.length, before, 'nothing to warn of');
  // A name is not a Secret it names: nothing of these is used.
  assert.equal(sync.usesSecret('shop', 'basic-auth'), false);
});

test('a Secret no longer named leaves the host', async () => {
  await setAnnotations({ [`${NGINX}/auth-secret`]: 'basic-auth' });
  await sync.sync('shop', 'site');
  assert.ok(hostSecrets.has('basic-auth-x-shop-x-team-a'));
  queued.length = 0;
  await setAnnotations({ [`${NGINX}/rewrite-target`]: '/' });
  await sync.sync('shop', 'site');
  assert.equal(hostAnnotations()[`${NGINX}/auth-secret`], undefined);
  const key = syncKey('secret', 'shop', 'basic-auth');
  assert.deepEqual(queued, [key]);
  // The Secret's own sync, as the syncer runs it for the queued key: no longer used, it goes.
  assert.equal(sync.usesSecret('shop', 'basic-auth'), false);
  await syncObject(s, 'secret', 'shop', 'basic-auth', sync.usesSecret('shop', 'basic-auth'));
  assert.equal(hostSecrets.has('basic-auth-x-shop-x-team-a'), false);
});

test('a Secret of another namespace is named by its host copy and synced too, while named', async () => {
  await putSecret('billing', 'ca');
  await setAnnotations({ [`${NGINX}/auth-tls-secret`]: 'billing/ca' });
  await sync.sync('shop', 'site');
  assert.equal(hostAnnotations()[`${NGINX}/auth-tls-secret`], 'tenants/ca-x-billing-x-team-a');
  assert.ok(hostSecrets.has('ca-x-billing-x-team-a'));
  assert.equal(sync.usesSecret('billing', 'ca'), true);
  assert.equal(sync.usesSecret('shop', 'ca'), false);
  queued.length = 0;
  await setAnnotations({});
  await sync.sync('shop', 'site');
  assert.deepEqual(queued, [syncKey('secret', 'billing', 'ca')]);
  await syncObject(s, 'secret', 'billing', 'ca', sync.usesSecret('billing', 'ca'));
  assert.equal(hostSecrets.has('ca-x-billing-x-team-a'), false);
});

test('a reference that is neither NAME nor NAMESPACE/NAME is left out of the host copy, with a warning', async () => {
  await setAnnotations({ [`${NGINX}/auth-secret`]: 'a/b/c', [`${NGINX}/default-backend`]: 'shop/fallback', [`${NGINX}/rewrite-target`]: '/' });
  const before = events.length;
  await sync.sync('shop', 'site');
  const a = hostAnnotations();
  assert.equal(a[`${NGINX}/auth-secret`], undefined);
  assert.equal(a[`${NGINX}/default-backend`], undefined);
  assert.equal(a[`${NGINX}/rewrite-target`], '/');
  assert.deepEqual((written.at(-1)!.spec as IngressSpec).defaultBackend, { service: { name: 'web-x-shop-x-team-a', port: { number: 80 } } });
  assert.equal(events.length, before + 1);
  assert.match(events.at(-1)!.message, /^metadata\.annotations\['nginx\.ingress\.kubernetes\.io\/auth-secret'\] \("a\/b\/c" is neither NAME nor NAMESPACE\/NAME\), metadata\.annotations\['nginx\.ingress\.kubernetes\.io\/default-backend'\] .* cannot be translated for the host; the host copy of the Ingress goes without them$/);
  assert.equal(sync.usesSecret('shop', 'a'), false);
});

test('AWS Load Balancer Controller actions and conditions follow their renamed backends; the Services and Secret they name are renamed', async () => {
  await putSecret('shop', 'oidc');
  const forward = { type: 'forward', forwardConfig: { targetGroups: [{ serviceName: 'web', servicePort: 80, weight: 20 }, { targetGroupARN: 'arn:aws:elasticloadbalancing:x', weight: 80 }] } };
  const conditions = '[{"field":"source-ip","sourceIpConfig":{"values":["192.168.0.0/16"]}}]';
  await setSpec({ rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'split', port: { name: 'use-annotation' } } } }] } }] });
  await setAnnotations({
    [`${ALB}/actions.split`]: JSON.stringify(forward),
    [`${ALB}/conditions.split`]: conditions,
    [`${ALB}/actions.broken`]: '{not json',
    [`${ALB}/auth-idp-oidc`]: '{"issuer":"https://idp.example.com","secretName":"oidc"}',
    [`${ALB}/scheme`]: 'internet-facing',
  });
  await sync.sync('shop', 'site');
  const h = written.at(-1)!;
  assert.equal((h.spec as IngressSpec).rules![0]!.http!.paths[0]!.backend.service!.name, 'split-x-shop-x-team-a');
  const a = h.metadata.annotations ?? {};
  assert.equal(a[`${ALB}/actions.split`], undefined);
  assert.deepEqual(JSON.parse(a[`${ALB}/actions.split-x-shop-x-team-a`]!), {
    type: 'forward', forwardConfig: { targetGroups: [{ serviceName: 'web-x-shop-x-team-a', servicePort: 80, weight: 20 }, { targetGroupARN: 'arn:aws:elasticloadbalancing:x', weight: 80 }] },
  });
  assert.equal(a[`${ALB}/conditions.split-x-shop-x-team-a`], conditions);
  assert.equal(a[`${ALB}/actions.broken-x-shop-x-team-a`], '{not json');
  assert.deepEqual(JSON.parse(a[`${ALB}/auth-idp-oidc`]!), { issuer: 'https://idp.example.com', secretName: 'oidc-x-shop-x-team-a' });
  assert.equal(a[`${ALB}/scheme`], 'internet-facing');
  assert.ok(hostSecrets.has('oidc-x-shop-x-team-a'));
  assert.equal(sync.usesSecret('shop', 'oidc'), true);
});

test('an action whose key, named for the host, would be too long for an annotation key is left out, with a warning', async () => {
  const long = 'forward-to-the-weighted-target-groups-of-the-shop';
  await setAnnotations({ [`${ALB}/actions.${long}`]: '{"type":"forward","targetGroupARN":"arn:aws:elasticloadbalancing:x"}', [`${ALB}/actions.split`]: '{"type":"fixed-response"}' });
  const before = events.length;
  await sync.sync('shop', 'site');
  const keys = Object.keys(hostAnnotations()).filter((k) => k.startsWith(`${ALB}/actions.`));
  assert.deepEqual(keys, [`${ALB}/actions.split-x-shop-x-team-a`]);
  assert.equal(events.length, before + 1);
  assert.match(events.at(-1)!.message, /^metadata\.annotations\['alb\.ingress\.kubernetes\.io\/actions\.forward-to-the-weighted-target-groups-of-the-shop'\] \(its key, named for the host, would be longer than an annotation key may be\) cannot be translated for the host; the host copy of the Ingress goes without it$/);
});
