// The events the host records about a synced pod, service or claim become
// events of the virtual object, worded with its virtual name: the host
// scheduler's and kubelet's story of a pod (Scheduled, Pulled, Created,
// Started, Killing; warnings such as failed mounts, back-off and scheduling
// failures), a host load balancer's or volume provisioner's about a service
// or claim. Nothing in the virtual cluster tells these, since the host runs
// them. A count the host raises on an event raises the virtual one's.
import { createHash } from 'node:crypto';
import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import type { SyncContext } from './context.ts';
import { FIELD_MANAGER } from './resources.ts';
import { virtualIdentity } from './translate/index.ts';

interface HostEvent extends KubeObject {
  involvedObject?: { kind?: string; name?: string; namespace?: string; fieldPath?: string };
  reason?: string; message?: string; type?: string; count?: number;
  firstTimestamp?: string; lastTimestamp?: string; eventTime?: string;
  source?: { component?: string; host?: string };
}

/** The synced kinds whose host events come up: the host informer and virtual resource of each. */
const TARGETS = {
  Pod: { hosts: 'pods', defs: 'pods' },
  Service: { hosts: 'services', defs: 'services' },
  PersistentVolumeClaim: { hosts: 'pvcs', defs: 'pvcs' },
} as const;

/** The virtual object (pod, service or claim) a host event is about, when it is one of this cluster's. */
export function eventTarget(s: SyncContext, ev: HostEvent): KubeObject | undefined {
  const inv = ev.involvedObject;
  const t = inv?.kind !== undefined && Object.hasOwn(TARGETS, inv.kind) ? TARGETS[inv.kind as keyof typeof TARGETS] : undefined;
  if (!t || !inv?.name) return undefined;
  const h = s.hosts[t.hosts].get(inv.name);
  const id = h ? virtualIdentity(h) : undefined;
  if (!id || id.vcluster !== s.name || id.kind !== inv.kind || !id.namespace) return undefined;
  const v = s.peek(s.defs[t.defs], id.namespace, id.name);
  return v && v.metadata.uid === id.uid ? v : undefined;
}

/** Copy (or bring up to date) the virtual event for the host event `hostEvent`. */
export async function syncHostEvent(s: SyncContext, hostEvent: KubeObject): Promise<void> {
  const ev = hostEvent as HostEvent;
  const name = ev.metadata.name as string;
  const v = eventTarget(s, ev);
  if (!v) return;
  const def = s.vc.registry.find('', 'v1', 'events');
  if (!def) return;
  const ns = v.metadata.namespace as string;
  const hostObject = ev.involvedObject?.name as string;
  const reword = (text: string | undefined) => (text ?? '').split(`${s.hostNamespace}/${hostObject}`).join(`${ns}/${v.metadata.name}`).split(hostObject).join(v.metadata.name as string);
  const vName = `${v.metadata.name}.${createHash('sha256').update(ev.metadata.uid ?? name).digest('hex').slice(0, 16)}`;
  const when = ev.lastTimestamp ?? ev.eventTime ?? ev.metadata.creationTimestamp;
  const body: Record<string, unknown> = {
    metadata: { name: vName, namespace: ns },
    involvedObject: { kind: ev.involvedObject?.kind, apiVersion: 'v1', namespace: ns, name: v.metadata.name, uid: v.metadata.uid, ...(ev.involvedObject?.fieldPath ? { fieldPath: ev.involvedObject.fieldPath } : {}) },
    reason: ev.reason, message: reword(ev.message), type: ev.type, count: ev.count ?? 1,
    firstTimestamp: ev.firstTimestamp ?? when, lastTimestamp: when,
    source: { component: ev.source?.component ?? 'host', ...(ev.source?.host ? { host: ev.source.host } : {}) },
    reportingComponent: ev.source?.component ?? 'host', reportingInstance: ev.source?.host ?? '',
  };
  const have = s.peek(def, ns, vName) as HostEvent | undefined;
  try {
    if (!have) {
      await s.vc.store.create(def, ns, body as KubeObject, { fieldManager: FIELD_MANAGER });
    } else if (have.count !== body.count || have.message !== body.message || have.lastTimestamp !== body.lastTimestamp) {
      await s.vc.store.guaranteedUpdate(def, ns, vName, (cur) => {
        const e = cur as HostEvent;
        e.count = body.count as number;
        e.message = body.message as string;
        e.lastTimestamp = body.lastTimestamp as string;
        return e;
      }, { fieldManager: FIELD_MANAGER });
    }
  } catch (e) {
    if (!(e instanceof ApiError && (e.code === 409 || e.code === 404 || e.code === 403))) throw e;
  }
}
