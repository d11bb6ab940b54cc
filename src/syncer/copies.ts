// Host copies of virtual objects, one for one, under translated names: made,
// kept equal to their translation (restored when changed or deleted on the
// host) and removed when no longer wanted. The one write path for the
// namespaced kinds the syncer copies: the config maps, secrets and claims
// synced pods use (objects.ts) and, when the VirtualCluster's
// spec.host.sync.toHost asks for them, Ingresses, NetworkPolicies and
// PodDisruptionBudgets (one host informer per kind and host namespace, shared
// with the other virtual clusters there).
import { createHash } from 'node:crypto';
import type { KubeObject } from '../api/types.ts';
import type { ResourceDef } from '../registry/types.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import { jsonEqual } from '../registry/generic/metadata.ts';
import { syncKey, type SyncContext, type SyncKind } from './context.ts';
import { HostError, HostInformers, type HostInformer, type HostResource } from './host/index.ts';
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
  /**
   * What of the host copy the syncer owns, besides labels and annotations:
   * top-level fields, or dotted paths into them (a claim's
   * `spec.resources.requests.storage`, the one part of its spec that may
   * change). The rest is the host's (its defaults, fields it will not let change).
   */
  readonly fields: readonly string[];
}

/** A write of ours, by host name: the host's resourceVersion after it, and a digest of what was written. */
export interface WrittenRecord { rv: string | undefined; want: string }

/**
 * A digest of a wanted host copy, for WrittenRecord: records hold no second
 * copy of what is written (a secret's data, a large config map).
 */
export function wantDigest(want: KubeObject): string {
  return createHash('sha256').update(JSON.stringify(want)).digest('base64');
}

/** The value at a field or dotted path. */
function valueAt(o: unknown, path: string): unknown {
  let cur = o;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** Set (undefined: remove) the value at a field or dotted path of `o`, copying the objects on the way rather than changing them. */
function setAt(o: Record<string, unknown>, path: string, v: unknown): void {
  const parts = path.split('.');
  let cur = o;
  for (const p of parts.slice(0, -1)) {
    const next = cur[p];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      if (v === undefined) return;
      cur = cur[p] = {};
    } else {
      cur = cur[p] = { ...(next as Record<string, unknown>) };
    }
  }
  const last = parts[parts.length - 1] as string;
  if (v === undefined) delete cur[last]; else cur[last] = v;
}

/**
 * The host copy `have` is in line with `want`: the same labels, every wanted
 * annotation (a host controller may add its own), the same owned fields. A
 * copy still at the resourceVersion our own write of the same `want` produced
 * is in line whatever the host defaulted in it, so host defaults never make
 * the syncer write again and again; a `want` other than the one last seen in
 * line is written (so an annotation removed from the virtual object leaves).
 * `wanted`: the digest of `want`, when the caller has it.
 */
export function inLine(have: KubeObject, want: KubeObject, fields: readonly string[], written: WrittenRecord | undefined, wanted?: string): boolean {
  if (written) {
    if (written.want !== (wanted ?? wantDigest(want))) return false;
    if (written.rv === have.metadata.resourceVersion) return true;
  }
  if (!jsonEqual(have.metadata.labels ?? {}, want.metadata.labels ?? {})) return false;
  const ha = have.metadata.annotations ?? {};
  if (Object.entries(want.metadata.annotations ?? {}).some(([k, v]) => ha[k] !== v)) return false;
  return fields.every((f) => jsonEqual(valueAt(have, f) ?? null, valueAt(want, f) ?? null));
}

/** `have` with labels, annotations and owned fields as `want` has them (for an update); the rest stays the host's. */
export function withWanted(have: KubeObject, want: KubeObject, fields: readonly string[]): KubeObject {
  const next = { ...have, metadata: { ...have.metadata, labels: want.metadata.labels, annotations: want.metadata.annotations } } as Record<string, unknown>;
  for (const f of fields) setAt(next, f, valueAt(want, f));
  return next as KubeObject;
}

export class HostCopies {
  readonly kind: CopiedKind;
  readonly def: ResourceDef;
  readonly informer: HostInformer;
  private readonly s: SyncContext;
  private readonly releaseInformer: () => void;
  private readonly written = new Map<string, WrittenRecord>();

  /**
   * `informers`: the shared informers to acquire the kind's host informer
   * from (released by release()), or that informer, held by the caller.
   */
  constructor(s: SyncContext, informers: HostInformers | HostInformer, kind: CopiedKind) {
    const def = s.vc.registry.find(kind.group, 'v1', kind.plural);
    if (!def) throw new Error(`the cluster serves no ${kind.plural}${kind.group ? `.${kind.group}` : ''}`);
    this.s = s;
    this.kind = kind;
    this.def = def;
    if (informers instanceof HostInformers) {
      const a = informers.acquire(s.hostNamespace, kind.host, MANAGED_SELECTOR);
      this.informer = a.informer;
      this.releaseInformer = a.release;
    } else {
      this.informer = informers;
      this.releaseInformer = () => {};
    }
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
      const wanted = wantDigest(want);
      const record = (obj: KubeObject) => {
        this.informer.observe(obj);
        this.written.set(hName, { rv: obj.metadata.resourceVersion, want: wanted });
        return obj;
      };
      if (!h) return record(await s.conn.create(k.host, s.hostNamespace, want, { fieldManager: FIELD_MANAGER }));
      if (inLine(h, want, k.fields, this.written.get(hName), wanted)) {
        this.written.set(hName, { rv: h.metadata.resourceVersion, want: wanted });
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
