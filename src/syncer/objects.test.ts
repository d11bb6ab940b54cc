import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.ts';
import { jsonEqual } from '../registry/generic/metadata.ts';
import type { ResourceDef } from '../registry/types.ts';
import { openTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import type { SyncContext } from './context.ts';
import { HostError, type HostResource } from './host/index.ts';
import { syncObject } from './objects.ts';
import { LABEL_VCLUSTER, hostName } from './translate/index.ts';

// syncObject on a real in-process virtual cluster against a fake host: a map
// of objects with resourceVersions, the host's defaulting and admission, and
// the update rules of immutable config maps, secrets and claims. Its informers
// see every host write at once and note what the syncer tells them it wrote.

const HOST_NS = 'tenants';

type Plural = 'configmaps' | 'secrets' | 'persistentvolumeclaims';

class FakeHost {
  readonly objects = new Map<string, KubeObject>();
  /** Every write, as "create configmaps NAME". */
  readonly writes: string[] = [];
  /** What the syncer told each informer it wrote (observe()). */
  readonly observed: string[] = [];
  /** Run on every object the host stores (defaults, mutating admission). */
  mutate: (plural: Plural, o: KubeObject) => void = () => {};
  /** Refuse creates with this error (a quota, a policy). */
  refuseCreates: HostError | undefined;
  private rv = 100;
  private uids = 0;

  private key(r: HostResource, name: string): string { return `${(r as { plural: string }).plural}/${name}`; }

  private store(plural: Plural, o: KubeObject): KubeObject {
    this.mutate(plural, o);
    const key = `${plural}/${o.metadata.name}`;
    const old = this.objects.get(key);
    if (old && jsonEqual({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } }, { ...old, metadata: { ...old.metadata, resourceVersion: undefined } })) {
      return structuredClone(old); // a no-op update keeps the resourceVersion
    }
    o.metadata.resourceVersion = String(++this.rv);
    this.objects.set(key, o);
    return structuredClone(o);
  }

  /** Someone else changes the host object. */
  edit(plural: Plural, name: string, fn: (o: KubeObject) => void): void {
    const o = structuredClone(this.objects.get(`${plural}/${name}`)!);
    fn(o);
    this.store(plural, o);
  }

  get(plural: Plural, name: string): KubeObject | undefined {
    return this.objects.get(`${plural}/${name}`);
  }

  readonly conn = {
    create: async (r: HostResource, ns: string, obj: KubeObject) => {
      const plural = (r as { plural: Plural }).plural;
      assert.equal(ns, HOST_NS);
      if (this.refuseCreates) throw this.refuseCreates;
      if (this.objects.has(this.key(r, obj.metadata.name as string))) throw new HostError(409, 'AlreadyExists', `${obj.metadata.name} already exists`);
      this.writes.push(`create ${plural} ${obj.metadata.name}`);
      const o = structuredClone(obj);
      o.metadata = { ...o.metadata, namespace: ns, uid: `host-${++this.uids}`, creationTimestamp: '2025-01-01T00:00:00Z' };
      if (plural === 'persistentvolumeclaims') o.status = { phase: 'Pending' };
      return this.store(plural, o);
    },
    update: async (r: HostResource, _ns: string, obj: KubeObject) => {
      const plural = (r as { plural: Plural }).plural;
      const old = this.objects.get(this.key(r, obj.metadata.name as string));
      if (!old) throw new HostError(404, 'NotFound', `${obj.metadata.name} not found`);
      if (obj.metadata.resourceVersion !== old.metadata.resourceVersion) throw new HostError(409, 'Conflict', 'the object has been modified');
      this.writes.push(`update ${plural} ${obj.metadata.name}`);
      const o = structuredClone(obj);
      o.metadata = { ...o.metadata, uid: old.metadata.uid };
      this.mutate(plural, o);
      const invalid = (what: string) => new HostError(422, 'Invalid', `${plural} "${obj.metadata.name}" is invalid: ${what}: field is immutable`);
      if (plural !== 'persistentvolumeclaims') {
        if (old['immutable'] === true && (!jsonEqual(o['data'], old['data']) || !jsonEqual(o['binaryData'], old['binaryData']) || o['immutable'] !== true)) throw invalid('data');
        if (plural === 'secrets' && o['type'] !== old['type']) throw invalid('type');
      } else {
        // Only resources.requests may change (and volumeName be set once).
        const bound = (old.spec as { volumeName?: string }).volumeName !== undefined;
        const fixed = (x: KubeObject) => {
          const spec = structuredClone(x.spec ?? {}) as { resources?: { requests?: unknown }; volumeName?: string };
          delete spec.resources?.requests;
          if (!bound) delete spec.volumeName;
          return spec;
        };
        if (!jsonEqual(fixed(o), fixed(old))) throw invalid('spec');
        o.status = old.status;
      }
      return this.store(plural, o);
    },
    delete: async (r: HostResource, _ns: string, name: string, opts: { uid?: string } = {}) => {
      const key = this.key(r, name);
      const old = this.objects.get(key);
      if (!old) throw new HostError(404, 'NotFound', `${name} not found`);
      if (opts.uid && opts.uid !== old.metadata.uid) throw new HostError(409, 'Conflict', 'uid precondition failed');
      this.writes.push(`delete ${(r as { plural: string }).plural} ${name}`);
      this.objects.delete(key);
      return old;
    },
    get: async (r: HostResource, _ns: string, name: string) => {
      const o = this.objects.get(this.key(r, name));
      if (!o) throw new HostError(404, 'NotFound', `${name} not found`);
      return structuredClone(o);
    },
  };

  /** As a host informer with the marker selector shows it: objects with the marker label, and those the syncer told it of. */
  informer(plural: Plural) {
    const told = new Set<string>();
    return {
      get: (name: string) => {
        const o = this.get(plural, name);
        return o && (o.metadata.labels?.[LABEL_VCLUSTER] !== undefined || told.has(name)) ? structuredClone(o) : undefined;
      },
      observe: (o: KubeObject) => { told.add(o.metadata.name as string); this.observed.push(`${plural} ${o.metadata.name}`); },
    };
  }
}

let tc: TestCluster;
let host: FakeHost;
let s: SyncContext;
let cms: ResourceDef, secrets: ResourceDef, pvcs: ResourceDef;
const queued: string[] = [];

before(async () => {
  tc = await openTestCluster();
  cms = tc.ctx.def('', 'v1', 'configmaps');
  secrets = tc.ctx.def('', 'v1', 'secrets');
  pvcs = tc.ctx.def('', 'v1', 'persistentvolumeclaims');
  await tc.vc.store.create(tc.ctx.def('', 'v1', 'namespaces'), undefined, { metadata: { name: 'shop' } });
});

beforeEach(() => {
  // A fresh syncer (a fresh context: its copies remember nothing) against a fresh host.
  host = new FakeHost();
  queued.length = 0;
  s = {
    name: 'a', vc: tc.vc, hostNamespace: HOST_NS, conn: host.conn,
    hosts: { configmaps: host.informer('configmaps'), secrets: host.informer('secrets'), pvcs: host.informer('persistentvolumeclaims') },
    defs: { configmaps: cms, secrets, pvcs },
    peek: (def: ResourceDef, ns: string | undefined, name: string) => tc.vc.store.peek(def, ns, name),
    enqueue: (key: string) => { queued.push(key); },
  } as unknown as SyncContext;
});

after(async () => { await tc.close(); });

async function put(def: ResourceDef, obj: KubeObject): Promise<KubeObject> {
  const ns = 'shop';
  const name = obj.metadata.name as string;
  if (tc.vc.store.peek(def, ns, name)) await tc.vc.store.delete(def, ns, name, { gracePeriodSeconds: 0 });
  return tc.vc.store.create(def, ns, obj);
}

const hName = (n: string) => hostName(n, 'shop', 'a');

/** Sync `times` times, as informer events and resyncs would. */
async function syncRepeatedly(kind: 'configmap' | 'secret' | 'pvc', name: string, times = 3): Promise<void> {
  for (let i = 0; i < times; i++) await syncObject(s, kind, 'shop', name, true);
}

test('a used config map is copied once, the informer is told of the write, and later syncs write nothing', async () => {
  await put(cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', labels: { app: 'web' } }, data: { GREETING: 'hello' } });
  await syncRepeatedly('configmap', 'settings');
  assert.deepEqual(host.writes, [`create configmaps ${hName('settings')}`]);
  assert.deepEqual(host.observed, [`configmaps ${hName('settings')}`]);
  const h = host.get('configmaps', hName('settings'))!;
  assert.deepEqual(h['data'], { GREETING: 'hello' });
  assert.equal(h.metadata.labels?.['app'], 'web');
  // No longer used: it leaves the host.
  await syncObject(s, 'configmap', 'shop', 'settings', false);
  assert.equal(host.get('configmaps', hName('settings')), undefined);
});

test('host admission that adds labels, annotations and data to every write does not make the syncer write again and again', async () => {
  host.mutate = (plural, o) => {
    o.metadata.labels = { ...o.metadata.labels, 'policy.example.com/team': 'ops' };
    o.metadata.annotations = { ...o.metadata.annotations, 'policy.example.com/checked': 'yes' };
    if (plural === 'configmaps') o['data'] = { ...(o['data'] as object), injected: 'by-policy' };
  };
  await put(cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { GREETING: 'hello' } });
  await put(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, stringData: { password: 's3cret' } });
  await syncRepeatedly('configmap', 'settings', 5);
  await syncRepeatedly('secret', 'creds', 5);
  assert.deepEqual(host.writes, [`create configmaps ${hName('settings')}`, `create secrets ${hName('creds')}`]);
  // A change of the virtual object is written (once), whatever the host adds.
  await tc.vc.store.guaranteedUpdate(cms, 'shop', 'settings', (cur) => ({ ...(cur as KubeObject), data: { GREETING: 'hi' } }));
  await syncRepeatedly('configmap', 'settings', 5);
  assert.deepEqual(host.writes.slice(2), [`update configmaps ${hName('settings')}`]);
  assert.deepEqual(host.get('configmaps', hName('settings'))!['data'], { GREETING: 'hi', injected: 'by-policy' });
});

test('a copy changed or deleted on the host by someone else is restored', async () => {
  await put(secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds' }, data: { password: 'czNjcmV0' } });
  await syncObject(s, 'secret', 'shop', 'creds', true);
  host.edit('secrets', hName('creds'), (o) => { o['data'] = { password: 'aGFja2Vk' }; o.metadata.labels = { ...o.metadata.labels, extra: 'x' }; });
  await syncRepeatedly('secret', 'creds');
  const h = host.get('secrets', hName('creds'))!;
  assert.deepEqual(h['data'], { password: 'czNjcmV0' });
  assert.equal(h.metadata.labels?.['extra'], undefined);
  host.objects.delete(`secrets/${hName('creds')}`);
  await syncRepeatedly('secret', 'creds');
  assert.deepEqual(host.writes, [`create secrets ${hName('creds')}`, `update secrets ${hName('creds')}`, `create secrets ${hName('creds')}`]);
});

test('an immutable config map: in line, nothing is written; made again with other data, its copy is replaced, not updated', async () => {
  await put(cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'frozen' }, data: { v: '1' }, immutable: true });
  await syncRepeatedly('configmap', 'frozen');
  assert.equal(host.get('configmaps', hName('frozen'))!['immutable'], true);
  // Relabelled: metadata may change on an immutable object.
  await tc.vc.store.guaranteedUpdate(cms, 'shop', 'frozen', (cur) => {
    const o = cur as KubeObject;
    return { ...o, metadata: { ...o.metadata, labels: { tier: 'gold' } } };
  });
  await syncRepeatedly('configmap', 'frozen');
  // Deleted and made again (a new uid) with other data.
  await put(cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'frozen' }, data: { v: '2' }, immutable: true });
  await syncRepeatedly('configmap', 'frozen');
  const c = `configmaps ${hName('frozen')}`;
  assert.deepEqual(host.writes, [`create ${c}`, `update ${c}`, `delete ${c}`, `create ${c}`]);
  assert.deepEqual(host.get('configmaps', hName('frozen'))!['data'], { v: '2' });
});

test('a claim whose host copy the host defaults, down to its own form of the size, is written once, and once more after a change there', async () => {
  host.mutate = (plural, o) => {
    if (plural !== 'persistentvolumeclaims') return;
    const spec = o.spec as { storageClassName?: string; volumeMode?: string; resources: { requests: { storage: string } } };
    spec.storageClassName ??= 'host-default';
    spec.volumeMode ??= 'Filesystem';
    if (spec.resources.requests.storage === '1Gi') spec.resources.requests.storage = '1024Mi';
  };
  await put(pvcs, {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'defaulted' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  });
  const c = `persistentvolumeclaims ${hName('defaulted')}`;
  await syncRepeatedly('pvc', 'defaulted', 5);
  assert.deepEqual(host.writes, [`create ${c}`]);
  // Relabelled there: the copy is compared again, put back (the host writes its form of the size again), and left alone.
  host.edit('persistentvolumeclaims', hName('defaulted'), (o) => { o.metadata.labels = { ...o.metadata.labels, extra: 'x' }; });
  await syncRepeatedly('pvc', 'defaulted', 5);
  assert.deepEqual(host.writes, [`create ${c}`, `update ${c}`]);
  assert.equal(host.get('persistentvolumeclaims', hName('defaulted'))!.metadata.labels?.['extra'], undefined);
});

test('a claim bound on the host: its status comes back and nothing is written over the binding or what cannot change; a larger request is', async () => {
  host.mutate = (plural, o) => {
    if (plural === 'persistentvolumeclaims') (o.spec as { volumeMode?: string }).volumeMode ??= 'Filesystem';
  };
  await put(pvcs, {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  });
  const c = `persistentvolumeclaims ${hName('data')}`;
  await syncRepeatedly('pvc', 'data');
  // The host's controllers bind it: annotations, the volume, a status.
  host.edit('persistentvolumeclaims', hName('data'), (o) => {
    o.metadata.annotations = { ...o.metadata.annotations, 'pv.kubernetes.io/bind-completed': 'yes' };
    (o.spec as { volumeName?: string }).volumeName = 'pv-1';
    o.status = { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } };
  });
  await syncRepeatedly('pvc', 'data', 5);
  assert.deepEqual(host.writes, [`create ${c}`]);
  assert.deepEqual(tc.vc.store.peek(pvcs, 'shop', 'data')!.status, { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } });
  assert.equal(host.get('persistentvolumeclaims', hName('data'))!.metadata.annotations?.['pv.kubernetes.io/bind-completed'], 'yes');
  // Someone there changes what may not change through the syncer (a class the fake host lets them set): left alone.
  host.edit('persistentvolumeclaims', hName('data'), (o) => { (o.spec as { storageClassName?: string }).storageClassName = 'other'; });
  await syncRepeatedly('pvc', 'data', 5);
  assert.deepEqual(host.writes, [`create ${c}`]);
  // Grown in the virtual cluster: one update, of the request alone (the fake host refuses any other spec change).
  await tc.vc.store.guaranteedUpdate(pvcs, 'shop', 'data', (cur) => {
    const o = cur as KubeObject;
    return { ...o, spec: { ...(o.spec as object), resources: { requests: { storage: '2Gi' } } } };
  });
  await syncRepeatedly('pvc', 'data', 5);
  assert.deepEqual(host.writes, [`create ${c}`, `update ${c}`]);
  const spec = host.get('persistentvolumeclaims', hName('data'))!.spec as { storageClassName?: string; volumeName?: string; resources: { requests: { storage: string } } };
  assert.deepEqual([spec.resources.requests.storage, spec.storageClassName, spec.volumeName], ['2Gi', 'other', 'pv-1']);
});

test('a refusal of the host is the caller\'s to report; a race is queued again', async () => {
  await put(cms, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: 'b' } });
  host.refuseCreates = new HostError(403, 'Forbidden', 'exceeded quota: tenants');
  await assert.rejects(syncObject(s, 'configmap', 'shop', 'settings', true), (e: unknown) => e instanceof HostError && e.code === 403);
  host.refuseCreates = undefined;
  // Made on the host by someone else meanwhile, without markers (the informer does not show it): queued again, then replaced.
  host.objects.set(`configmaps/${hName('settings')}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: hName('settings'), namespace: HOST_NS, uid: 'theirs', resourceVersion: '5' }, data: {} });
  await syncObject(s, 'configmap', 'shop', 'settings', true);
  assert.deepEqual(queued, ['configmap/shop/settings']);
  assert.deepEqual(host.observed, [`configmaps ${hName('settings')}`], 'the informer is shown what is there');
  await syncObject(s, 'configmap', 'shop', 'settings', true);
  assert.deepEqual(host.get('configmaps', hName('settings'))!['data'], { a: 'b' });
  assert.deepEqual(host.writes, [`delete configmaps ${hName('settings')}`, `create configmaps ${hName('settings')}`]);
});

test('an object not this cluster\'s is left alone when not used; a virtual object deleted takes its copy', async () => {
  // Another virtual cluster's, by its markers.
  host.objects.set(`configmaps/${hName('other')}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: hName('other'), uid: 'x', resourceVersion: '1', labels: { [LABEL_VCLUSTER]: 'b' } } });
  await syncObject(s, 'configmap', 'shop', 'other', false);
  assert.ok(host.get('configmaps', hName('other')));
  await put(pvcs, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'scratch' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
  await syncObject(s, 'pvc', 'shop', 'scratch', true);
  await tc.vc.store.delete(pvcs, 'shop', 'scratch', { gracePeriodSeconds: 0 });
  await syncObject(s, 'pvc', 'shop', 'scratch', true);
  assert.equal(host.get('persistentvolumeclaims', hName('scratch')), undefined);
});
