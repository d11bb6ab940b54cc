// Namespaced kinds copied to the host one for one, when the VirtualCluster's
// spec.host.sync.toHost asks for them (Ingresses, NetworkPolicies,
// PodDisruptionBudgets): one host informer per kind and host namespace,
// shared with the other virtual clusters there; the host copy is made, kept
// equal to its translation (restored when changed or deleted on the host)
// and removed with the virtual object.
import type { KubeObject } from '../api/types.ts';
import type { ResourceDef } from '../registry/types.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import { jsonEqual } from '../registry/generic/metadata.ts';
import { syncKey, type SyncContext, type SyncKind } from './context.ts';
import { HostError, type HostInformer, type HostInformers, type HostResource } from './host/index.ts';
import { FIELD_MANAGER } from './resources.ts';
import { deleteHost, raced } from './sync-errors.ts';
import { isFromHost } from './translate/from-host.ts';
import { MANAGED_SELECTOR, hostName, isManagedBy, standsFor, virtualIdentity } from './translate/index.ts';

export interface CopiedKind {
  readonly sync: SyncKind;
  /** The kind, as the markers record it. */
  readonly kind: string;
  readonly host: HostResource;
  /** The virtual resource. */
  readonly group: string;
  readonly plural: string;
  /** Top-level fields of the host copy the syncer owns, besides labels and annotations. */
  readonly fields: readonly string[];
}

/** A write of ours, by host name: the host's resourceVersion after it, and what was written. */
export interface WrittenRecord { rv: string | undefined; want: string }

/**
 * The host copy `have` is in line with `want`: the same labels, every wanted
 * annotation (a host controller may add its own), the same owned fields. A
 * copy still at the resourceVersion our own write of the same `want` produced
 * is in line whatever the host defaulted in it, so host defaults never make
 * the syncer write again and again; a `want` other than the one last seen in
 * line is written (so an annotation removed from the virtual object leaves).
 */
export function inLine(have: KubeObject, want: KubeObject, fields: readonly string[], written: WrittenRecord | undefined): boolean {
  if (written) {
    if (written.want !== JSON.stringify(want)) return false;
    if (written.rv === have.metadata.resourceVersion) return true;
  }
  if (!jsonEqual(have.metadata.labels ?? {}, want.metadata.labels ?? {})) return false;
  const ha = have.metadata.annotations ?? {};
  if (Object.entries(want.metadata.annotations ?? {}).some(([k, v]) => ha[k] !== v)) return false;
  const h = have as Record<string, unknown>, w = want as Record<string, unknown>;
  return fields.every((f) => jsonEqual(h[f] ?? null, w[f] ?? null));
}

/** `have` with labels, annotations and owned fields as `want` has them (for an update). */
export function withWanted(have: KubeObject, want: KubeObject, fields: readonly string[]): KubeObject {
  const next = { ...have, metadata: { ...have.metadata, labels: want.metadata.labels, annotations: want.metadata.annotations } } as Record<string, unknown>;
  for (const f of fields) {
    const v = (want as Record<string, unknown>)[f];
    if (v === undefined) delete next[f]; else next[f] = v;
  }
  return next as KubeObject;
}

export class HostCopies {
  readonly kind: CopiedKind;
  readonly def: ResourceDef;
  readonly informer: HostInformer;
  private readonly s: SyncContext;
  private readonly releaseInformer: () => void;
  private readonly written = new Map<string, WrittenRecord>();

  constructor(s: SyncContext, informers: HostInformers, kind: CopiedKind) {
    const def = s.vc.registry.find(kind.group, 'v1', kind.plural);
    if (!def) throw new Error(`the cluster serves no ${kind.plural}.${kind.group}`);
    this.s = s;
    this.kind = kind;
    this.def = def;
    const a = informers.acquire(s.hostNamespace, kind.host, MANAGED_SELECTOR);
    this.informer = a.informer;
    this.releaseInformer = a.release;
  }

  /** The virtual object, unless it is gone or going (or a copy of a host object). */
  live(ns: string, name: string): KubeObject | undefined {
    const v = this.s.peek(this.def, ns, name);
    return v && !v.metadata.deletionTimestamp && !isFromHost(v) ? v : undefined;
  }

  /** Every virtual object of the kind, as sync keys. */
  keys(): string[] {
    return [...this.s.vc.cache.scan(resourcePrefix(this.def))].map((c) => syncKey(this.kind.sync, c.obj.metadata.namespace, c.obj.metadata.name as string));
  }

  /**
   * Make the host copy of virtual object `ns/name` equal to `want` (its
   * translation of `v`); without `want`, remove it. Returns the host copy
   * standing for `v` afterwards, if any.
   */
  async sync(ns: string, name: string, v: KubeObject | undefined, want: KubeObject | undefined): Promise<KubeObject | undefined> {
    const s = this.s;
    const k = this.kind;
    const hName = want?.metadata.name ?? hostName(name, ns, s.name);
    let h = this.informer.get(hName);
    if (!v || !want) {
      if (h && isManagedBy(h, s.name, k.kind)) await deleteHost(s.conn, k.host, s.hostNamespace, hName, h.metadata.uid);
      this.written.delete(hName);
      return undefined;
    }
    try {
      if (h && !standsFor(h, v, k.kind, s.name)) {
        // An older object's copy, or someone else's object of that name: replace it.
        await deleteHost(s.conn, k.host, s.hostNamespace, hName, h.metadata.uid);
        h = undefined;
      }
      const record = (obj: KubeObject) => {
        this.informer.observe(obj);
        this.written.set(hName, { rv: obj.metadata.resourceVersion, want: JSON.stringify(want) });
        return obj;
      };
      if (!h) return record(await s.conn.create(k.host, s.hostNamespace, want, { fieldManager: FIELD_MANAGER }));
      if (inLine(h, want, k.fields, this.written.get(hName))) {
        this.written.set(hName, { rv: h.metadata.resourceVersion, want: JSON.stringify(want) });
        return h;
      }
      return record(await s.conn.update(k.host, s.hostNamespace, withWanted(h, want, k.fields), { fieldManager: FIELD_MANAGER }));
    } catch (e) {
      if (!raced(e)) throw e;
      // One the informer does not show (no markers): look at it, so the next round replaces it.
      if (e instanceof HostError && e.alreadyExists) {
        const there = await s.conn.get(k.host, s.hostNamespace, hName).catch(() => undefined);
        if (there) this.informer.observe(there);
      }
      s.enqueue(syncKey(k.sync, ns, name));
      return undefined;
    }
  }

  /** Queue the virtual object of each host change of this cluster's copies. */
  subscribe(): () => void {
    const s = this.s;
    const onHost = (o: KubeObject) => {
      const id = virtualIdentity(o);
      if (id && id.vcluster === s.name && id.kind === this.kind.kind && id.namespace !== undefined) s.enqueue(syncKey(this.kind.sync, id.namespace, id.name));
    };
    return this.informer.subscribe({ onAdd: onHost, onUpdate: onHost, onDelete: onHost });
  }

  release(): void {
    this.releaseInformer();
  }
}
