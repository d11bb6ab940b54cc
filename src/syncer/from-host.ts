// What a virtual cluster copies from its host (spec.host.sync.fromHost,
// .nodes and .allNodes): the host's storage, ingress and priority classes
// under their own names, the volumes bound to its synced claims (volumes.ts),
// with nodes "real" the host nodes' data on its virtual nodes, and with
// allNodes a virtual node for every host node its pods may run on
// (virtual-nodes.ts).
// The host informers (cluster-scoped, shared with the other virtual clusters
// on the same host) are acquired only for what the flags ask. Copies carry
// FROM_HOST_LABEL; objects the tenant made are never touched, and copies left
// from a flag now off are removed when the syncer starts.
//
// Keys: "fromhost//PLURAL/NAME" (NAME of the cluster-scoped object), and the
// existing "node//NAME" for nodes.

import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import type { ResourceDef } from '../registry/types.ts';
import type { HostSync, NodeData, SyncFromHost } from '../server/tenancy/spec.ts';
import { syncKey, type SyncContext } from './context.ts';
import type { HostInformer, HostResource, InformerHealth } from './host/index.ts';
import type { HostLink } from './hosts.ts';
import { FIELD_MANAGER } from './resources.ts';
import { classDiffers, fromHostClass, isFromHost, isSyncedToHost, withClassData } from './translate/from-host.ts';
import { isManagedBy } from './translate/index.ts';
import { claimRefOf } from './translate/volume.ts';
import { isSyncerNode } from './virtual-nodes.ts';
import { syncVolume } from './volumes.ts';

export type HostClassKind = 'storageclasses' | 'ingressclasses' | 'priorityclasses';

interface ClassInfo {
  readonly resource: HostResource;
  readonly group: string;
  readonly flag: Exclude<keyof SyncFromHost, 'persistentVolumes'>;
}

const CLASSES: Record<HostClassKind, ClassInfo> = {
  storageclasses: { resource: { apiVersion: 'storage.k8s.io/v1', plural: 'storageclasses' }, group: 'storage.k8s.io', flag: 'storageClasses' },
  ingressclasses: { resource: { apiVersion: 'networking.k8s.io/v1', plural: 'ingressclasses' }, group: 'networking.k8s.io', flag: 'ingressClasses' },
  priorityclasses: { resource: { apiVersion: 'scheduling.k8s.io/v1', plural: 'priorityclasses' }, group: 'scheduling.k8s.io', flag: 'priorityClasses' },
};
const CLASS_KINDS = Object.keys(CLASSES) as HostClassKind[];

export const PERSISTENT_VOLUMES: HostResource = { apiVersion: 'v1', plural: 'persistentvolumes' };
export const NODES: HostResource = { apiVersion: 'v1', plural: 'nodes' };

type Watched = HostClassKind | 'persistentvolumes' | 'nodes';

export function fromHostKey(kind: HostClassKind | 'persistentvolumes', name: string): string {
  return syncKey('fromhost', undefined, `${kind}/${name}`);
}

const SPEC_FLAG: Record<Watched, string> = {
  storageclasses: 'fromHost.storageClasses', ingressclasses: 'fromHost.ingressClasses', priorityclasses: 'fromHost.priorityClasses',
  persistentvolumes: 'fromHost.persistentVolumes', nodes: 'nodes ("real") and spec.host.sync.allNodes',
};

export class FromHost {
  readonly flags: SyncFromHost;
  readonly nodeData: NodeData;
  /** Every host node the cluster's pods may run on appears as a virtual node (spec.host.sync.allNodes). */
  readonly allNodes: boolean;
  private readonly informers = new Map<Watched, HostInformer>();
  private readonly synced = new Set<Watched>();
  private readonly releases: (() => void)[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  /** Tenant objects a host object was not copied over (recorded once each). */
  private readonly skipped = new Set<string>();
  private readonly warned = new Set<string>();

  constructor(link: HostLink, sync: HostSync) {
    this.flags = sync.fromHost;
    this.nodeData = sync.nodes;
    this.allNodes = sync.allNodes;
    const want: [Watched, HostResource][] = CLASS_KINDS.filter((k) => this.flags[CLASSES[k].flag]).map((k) => [k, CLASSES[k].resource]);
    if (this.flags.persistentVolumes) want.push(['persistentvolumes', PERSISTENT_VOLUMES]);
    if (this.nodeData === 'real' || this.allNodes) want.push(['nodes', NODES]);
    for (const [k, r] of want) {
      const a = link.informers.acquire('', r);
      this.informers.set(k, a.informer);
      this.releases.push(a.release);
    }
  }

  /** The host node `name`; undefined until the node informer has listed (or without nodes "real" or allNodes). */
  hostNode(name: string): KubeObject | undefined {
    return this.synced.has('nodes') ? this.informers.get('nodes')?.get(name) : undefined;
  }

  /** The host nodes are listed (a missing one is really missing). */
  get nodesSynced(): boolean {
    return this.synced.has('nodes');
  }

  /** The host volume `name`; undefined until the volume informer has listed. */
  hostVolume(name: string): KubeObject | undefined {
    return this.informers.get('persistentvolumes')?.get(name);
  }

  /** The host volumes are listed (a missing one is really missing). */
  get volumesSynced(): boolean {
    return this.synced.has('persistentvolumes');
  }

  /** Subscribe to both sides and queue what is already there. Does not wait for the host informers. */
  start(s: SyncContext): void {
    for (const kind of CLASS_KINDS) {
      const def = classDef(s, kind);
      if (!def) continue;
      const inf = this.informers.get(kind);
      if (inf) {
        this.onVirtual(s, def, (o) => {
          if (isFromHost(o) || inf.get(o.metadata.name as string)) s.enqueue(fromHostKey(kind, o.metadata.name as string));
        });
      }
      // Copies from before a restart (the host may have dropped them meanwhile) or from a flag now off.
      this.queueCopies(s, def, kind);
    }
    const pvDef = s.vc.registry.find('', 'v1', 'persistentvolumes');
    if (pvDef) {
      this.queueCopies(s, pvDef, 'persistentvolumes');
      if (this.flags.persistentVolumes) this.watchVolumes(s, pvDef);
    }
    for (const c of s.vc.cache.scan(resourcePrefix(s.defs.nodes))) if (isSyncerNode(c.obj)) s.enqueue(syncKey('node', undefined, c.obj.metadata.name as string));
    for (const [kind, inf] of this.informers) {
      const onHost = (o: KubeObject) => this.onHost(s, kind, o);
      this.unsubscribe.push(inf.subscribe({ onAdd: onHost, onUpdate: onHost, onDelete: onHost }));
      this.unsubscribe.push(inf.onHealth((h) => this.warn(s, kind, h)));
      inf.synced.then(() => {
        this.synced.add(kind);
        // The first list's adds may have been looked at before this: again, now that a missing object is really missing.
        for (const o of inf.list()) onHost(o);
        if (kind === 'nodes') {
          for (const c of s.vc.cache.scan(resourcePrefix(s.defs.nodes))) if (isSyncerNode(c.obj)) s.enqueue(syncKey('node', undefined, c.obj.metadata.name as string));
        } else {
          const def = kind === 'persistentvolumes' ? pvDef : classDef(s, kind);
          if (def) this.queueCopies(s, def, kind);
        }
      }, () => {});
    }
  }

  private onVirtual(s: SyncContext, def: ResourceDef, fn: (o: KubeObject) => void): void {
    this.unsubscribe.push(s.vc.cache.subscribe({ prefix: resourcePrefix(def), onEvent: (ev) => fn(ev.obj) }));
  }

  private queueCopies(s: SyncContext, def: ResourceDef, kind: HostClassKind | 'persistentvolumes'): void {
    for (const c of s.vc.cache.scan(resourcePrefix(def))) if (isFromHost(c.obj)) s.enqueue(fromHostKey(kind, c.obj.metadata.name as string));
  }

  private watchVolumes(s: SyncContext, pvDef: ResourceDef): void {
    this.onVirtual(s, pvDef, (o) => { if (isFromHost(o)) s.enqueue(fromHostKey('persistentvolumes', o.metadata.name as string)); });
    // A claim bound (or deleted) in the virtual cluster: its volume follows.
    this.onVirtual(s, s.defs.pvcs, (o) => {
      const vol = (o.spec as { volumeName?: string } | undefined)?.volumeName;
      if (vol) s.enqueue(fromHostKey('persistentvolumes', vol));
    });
    // A synced claim bound on the host.
    const onClaim = (h: KubeObject) => {
      const vol = (h.spec as { volumeName?: string } | undefined)?.volumeName;
      if (vol && isManagedBy(h, s.name, 'PersistentVolumeClaim')) s.enqueue(fromHostKey('persistentvolumes', vol));
    };
    this.unsubscribe.push(s.hosts.pvcs.subscribe({ onAdd: onClaim, onUpdate: onClaim, onDelete: onClaim }));
  }

  private onHost(s: SyncContext, kind: Watched, o: KubeObject): void {
    const name = o.metadata.name as string;
    if (kind === 'nodes') {
      const v = s.peek(s.defs.nodes, undefined, name);
      // With allNodes a host node's news may make its virtual node (or remove it).
      if ((v && isSyncerNode(v)) || (!v && this.allNodes)) s.enqueue(syncKey('node', undefined, name));
    } else if (kind === 'persistentvolumes') {
      const pvDef = s.vc.registry.find('', 'v1', 'persistentvolumes');
      const v = pvDef ? s.peek(pvDef, undefined, name) : undefined;
      if (claimRefOf(o)?.namespace === s.hostNamespace || (v && isFromHost(v))) s.enqueue(fromHostKey(kind, name));
    } else {
      s.enqueue(fromHostKey(kind, name));
    }
  }

  /** Say once per kind when the host refuses the syncer's credentials a cluster-wide read. */
  private warn(s: SyncContext, kind: Watched, h: InformerHealth): void {
    if (h.state !== 'retrying' || !h.error.credentials || this.warned.has(kind)) return;
    this.warned.add(kind);
    console.error(`kubevisor: syncer ${s.name}: cannot read the host's ${kind} (${h.error.message}); ` +
      `allow the syncer's host credentials to list and watch them, or turn spec.host.sync.${SPEC_FLAG[kind]} off`);
  }

  async reconcile(s: SyncContext, key: string): Promise<void> {
    const slash = key.indexOf('/');
    const kind = key.slice(0, slash);
    const name = key.slice(slash + 1);
    if (kind === 'persistentvolumes') return await syncVolume(s, this, name);
    if ((CLASS_KINDS as string[]).includes(kind)) return await this.syncClass(s, kind as HostClassKind, name);
  }

  /** Bring the virtual class `name` in line with the host's: copied, updated, or removed. */
  private async syncClass(s: SyncContext, kind: HostClassKind, name: string): Promise<void> {
    const def = classDef(s, kind);
    if (!def) return;
    const inf = this.informers.get(kind);
    // Not listed yet: a missing host object proves nothing (queued again once listed).
    if (inf && !this.synced.has(kind)) return;
    let h = inf?.get(name);
    if (h && isSyncedToHost(h)) h = undefined;
    const v = s.peek(def, undefined, name);
    if (!h) {
      if (v && isFromHost(v)) await removeCopy(s, def, v);
      return;
    }
    if (v && !isFromHost(v)) {
      // The virtual cluster's own (priority classes: its system- ones too) stays.
      if (!(kind === 'priorityclasses' && name.startsWith('system-'))) this.skip(s, v, `the host's ${h.kind} "${name}" is not copied into this cluster: it has its own of that name`);
      return;
    }
    const want = fromHostClass(h);
    try {
      if (!v) {
        await s.vc.store.create(def, undefined, want, { fieldManager: FIELD_MANAGER });
      } else if (classDiffers(v, want)) {
        try {
          await s.vc.store.update(def, undefined, name, withClassData(v, want), { fieldManager: FIELD_MANAGER });
        } catch (e) {
          // An immutable field changed on the host (a class's provisioner, a priority's value): replace the copy.
          if (!(e instanceof ApiError && e.code === 422)) throw e;
          await removeCopy(s, def, v);
          await s.vc.store.create(def, undefined, want, { fieldManager: FIELD_MANAGER });
        }
      }
    } catch (e) {
      if (e instanceof ApiError && e.code === 409) { s.enqueue(fromHostKey(kind, name)); return; }
      if (e instanceof ApiError && e.code === 422) {
        this.skip(s, v ?? want, `the host's ${h.kind} "${name}" cannot be copied into this cluster: ${e.message}`);
        return;
      }
      throw e;
    }
  }

  /** Record, once per object, that a host object was left out because of `obj`. */
  skip(s: SyncContext, obj: KubeObject, message: string): void {
    const id = `${obj.kind}/${obj.metadata.name}/${obj.metadata.uid ?? ''}`;
    if (this.skipped.has(id)) return;
    this.skipped.add(id);
    if (obj.metadata.uid) void s.ctl.events.record(obj, 'Warning', 'NotSyncedFromHost', message, FIELD_MANAGER);
    else console.error(`kubevisor: syncer ${s.name}: ${message}`);
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  release(): void {
    for (const r of this.releases.splice(0)) r();
  }
}

function classDef(s: SyncContext, kind: HostClassKind): ResourceDef | undefined {
  return s.vc.registry.find(CLASSES[kind].group, 'v1', kind);
}

/** Delete a virtual copy (only that object: a namesake made since stays). */
export async function removeCopy(s: SyncContext, def: ResourceDef, v: KubeObject): Promise<void> {
  try {
    await s.vc.store.delete(def, undefined, v.metadata.name as string, { preconditions: { uid: v.metadata.uid }, fieldManager: FIELD_MANAGER });
  } catch (e) {
    if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
  }
}
