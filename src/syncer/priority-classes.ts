// PriorityClasses to the host (spec.host.sync.toHost.priorityClasses): each
// virtual class gets a host class of its own (translate/priority-class.ts),
// which the synced pods naming it are given. The host copies are
// cluster-scoped: one informer across the host (marker label) is shared by
// every virtual cluster on it, and writes go through ClusterObjects.
import type { KubeObject } from '../api/types.ts';
import type { ResourceDef } from '../registry/types.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import { syncKey, type SyncContext } from './context.ts';
import { inLine, wantDigest, withWanted, type WrittenRecord } from './copies.ts';
import { ClusterObjects, type ClusterResource } from './host/cluster-objects.ts';
import { HostError, type HostInformer, type HostInformers } from './host/index.ts';
import { FIELD_MANAGER } from './resources.ts';
import { isFromHost } from './translate/from-host.ts';
import { MANAGED_SELECTOR, managedSelector, standsFor, virtualIdentity, type SyncTarget } from './translate/index.ts';
import { hostPriorityClassName, isSystemPriorityClass, toHostPriorityClass } from './translate/priority-class.ts';

export const PRIORITY_CLASSES: ClusterResource = { apiVersion: 'scheduling.k8s.io/v1', plural: 'priorityclasses' };

const FIELDS = ['value', 'description', 'preemptionPolicy', 'globalDefault'] as const;

function classDef(s: SyncContext): ResourceDef | undefined {
  return s.vc.registry.find('scheduling.k8s.io', 'v1', 'priorityclasses');
}

/** The virtual class a host class stands for, when it is a copy this cluster made for this host namespace. */
function copyOf(o: KubeObject, target: SyncTarget): string | undefined {
  const id = virtualIdentity(o);
  if (!id || id.vcluster !== target.vcluster || id.kind !== 'PriorityClass' || id.namespace !== undefined) return undefined;
  // A cluster of the same name (another server's) syncing to another host namespace has its own names.
  return o.metadata.name === hostPriorityClassName(id.name, target) ? id.name : undefined;
}

/**
 * The priority class a synced pod naming virtual class `name` gets on the
 * host: a copy of the host's own class keeps its name; a class of the virtual
 * cluster's own becomes its host copy when `copying` (toHost.priorityClasses);
 * anything else (system- classes, unknown names) is dropped.
 */
export function hostClassForPod(s: SyncContext, copying: boolean, name: string): string | undefined {
  if (isSystemPriorityClass(name)) return undefined;
  const def = classDef(s);
  const v = def ? s.peek(def, undefined, name) : undefined;
  if (!v || v.metadata.deletionTimestamp) return undefined;
  if (isFromHost(v)) return name;
  return copying ? hostPriorityClassName(name, { vcluster: s.name, hostNamespace: s.hostNamespace }) : undefined;
}

/** Remove this cluster's host priority classes; returns how many went. */
export async function removeHostPriorityClasses(s: SyncContext): Promise<number> {
  const host = new ClusterObjects(s.conn, PRIORITY_CLASSES);
  const target = { vcluster: s.name, hostNamespace: s.hostNamespace };
  let n = 0;
  for (const o of await host.list(managedSelector(s.name))) {
    if (copyOf(o, target) === undefined) continue;
    await host.delete(o.metadata.name as string, o.metadata.uid);
    n++;
  }
  return n;
}

export class PriorityClassSync {
  readonly informer: HostInformer;
  private readonly s: SyncContext;
  private readonly def: ResourceDef;
  private readonly host: ClusterObjects;
  private readonly target: SyncTarget;
  private readonly releaseInformer: () => void;
  private readonly written = new Map<string, WrittenRecord>();

  constructor(s: SyncContext, informers: HostInformers) {
    const def = classDef(s);
    if (!def) throw new Error('the cluster serves no priorityclasses.scheduling.k8s.io');
    this.s = s;
    this.def = def;
    this.host = new ClusterObjects(s.conn, PRIORITY_CLASSES);
    this.target = { vcluster: s.name, hostNamespace: s.hostNamespace };
    const a = informers.acquire('', PRIORITY_CLASSES, MANAGED_SELECTOR);
    this.informer = a.informer;
    this.releaseInformer = a.release;
  }

  /** Follow both sides; returns what stops it. */
  start(): () => void {
    const s = this.s;
    const stopVirtual = s.vc.cache.subscribe({
      prefix: resourcePrefix(this.def),
      onEvent: (ev) => s.enqueue(syncKey('priorityclass', undefined, ev.obj.metadata.name as string)),
    });
    const onHost = (o: KubeObject) => {
      const name = copyOf(o, this.target);
      if (name !== undefined) s.enqueue(syncKey('priorityclass', undefined, name));
    };
    const stopHost = this.informer.subscribe({ onAdd: onHost, onUpdate: onHost, onDelete: onHost });
    return () => { stopVirtual(); stopHost(); };
  }

  keys(): string[] {
    return [...this.s.vc.cache.scan(resourcePrefix(this.def))].map((c) => syncKey('priorityclass', undefined, c.obj.metadata.name as string));
  }

  /** The virtual class, unless it is gone or going, built in, or a copy of the host's own. */
  private live(name: string): KubeObject | undefined {
    if (isSystemPriorityClass(name)) return undefined;
    const v = this.s.peek(this.def, undefined, name);
    return v && !v.metadata.deletionTimestamp && !isFromHost(v) ? v : undefined;
  }

  async sync(name: string): Promise<void> {
    const v = this.live(name);
    const hName = hostPriorityClassName(name, this.target);
    let h = this.informer.get(hName);
    if (!v) {
      if (h && copyOf(h, this.target) !== undefined) await this.host.delete(hName, h.metadata.uid);
      this.written.delete(hName);
      return;
    }
    const want = toHostPriorityClass(v, this.target);
    const wanted = wantDigest(want);
    const record = (o: KubeObject) => {
      this.informer.observe(o);
      this.written.set(hName, { rv: o.metadata.resourceVersion, want: wanted });
    };
    try {
      if (h && (!standsFor(h, v, 'PriorityClass', this.s.name) || h['value'] !== want['value'] ||
          (h['preemptionPolicy'] ?? 'PreemptLowerPriority') !== (want['preemptionPolicy'] ?? 'PreemptLowerPriority'))) {
        // Value and preemption policy cannot change: another object takes its place.
        await this.host.delete(hName, h.metadata.uid);
        h = undefined;
      }
      if (!h) { record(await this.host.create(want, FIELD_MANAGER)); return; }
      if (inLine(h, want, FIELDS, this.written.get(hName), wanted)) {
        this.written.set(hName, { rv: h.metadata.resourceVersion, want: wanted });
        return;
      }
      record(await this.host.update(withWanted(h, want, FIELDS), FIELD_MANAGER));
    } catch (e) {
      if (!(e instanceof HostError && (e.alreadyExists || e.conflict))) throw e;
      // The informer has not seen the host's version yet: it will bring it, and the class is synced again.
      const now = await this.host.get(hName);
      if (now) this.informer.observe(now);
      this.s.enqueue(syncKey('priorityclass', undefined, name));
    }
  }

  release(): void {
    this.releaseInformer();
  }
}
