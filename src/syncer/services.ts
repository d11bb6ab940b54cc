// Services keep one ClusterIP in both clusters: a virtual Service is created
// (and changed) on the host first, in admission, and takes the host's cluster
// IPs and node ports; afterwards the host copy is kept equal to the virtual
// one (restored when changed or deleted there) and its LoadBalancer status
// flows back.
import { ApiError, errors } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import { jsonEqual } from '../registry/generic/metadata.ts';
import type { AdmissionPlugin } from '../registry/generic/admission.ts';
import type { SyncContext } from './context.ts';
import { HostError } from './host/index.ts';
import { FIELD_MANAGER, SERVICES } from './resources.ts';
import { deleteHost, raced } from './sync-errors.ts';
import { fromHostService, hostName, isManagedBy, standsFor, toHostService, type ServiceSpec } from './translate/index.ts';

/** Services that stay in the virtual cluster: its own API endpoint, and names that are only DNS aliases. */
function localOnly(v: KubeObject): boolean {
  const spec = (v.spec ?? {}) as ServiceSpec;
  return spec.type === 'ExternalName' || (v.metadata.namespace === 'default' && v.metadata.name === 'kubernetes');
}

/** What of the host service the syncer sets (the host owns IPs, node ports and status). */
function comparable(svc: KubeObject): unknown {
  const spec = { ...((svc.spec ?? {}) as Record<string, unknown>) };
  for (const f of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'healthCheckNodePort', 'internalTrafficPolicy', 'sessionAffinity']) delete spec[f];
  spec.ports = ((spec.ports ?? []) as Record<string, unknown>[]).map(({ nodePort: _n, ...p }) => ({ protocol: 'TCP', ...p, targetPort: p.targetPort ?? p.port }));
  return { labels: svc.metadata.labels ?? {}, spec };
}

function asApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof HostError && e.code >= 400 && e.code < 500 && e.code !== 429) {
    return new ApiError(e.code === 409 ? 409 : 422, e.code === 409 ? 'Conflict' : 'Invalid', `the host cluster refused the service: ${e.message}`);
  }
  return errors.serviceUnavailable(`the host cluster could not take the service: ${(e as Error).message}`);
}

/** The host copy for `v`, written now; the host's version of it. */
async function writeHost(s: SyncContext, v: KubeObject, userNodePorts: boolean, dryRun: boolean): Promise<KubeObject> {
  const want = toHostService(v, { vcluster: s.name, hostNamespace: s.hostNamespace, keepNodePorts: userNodePorts });
  const name = want.metadata.name as string;
  const opts = { fieldManager: FIELD_MANAGER, ...(dryRun ? { dryRun: true } : {}) };
  let have = s.hosts.services.get(name);
  if (have && !standsFor(have, v, 'Service', s.name)) {
    if (dryRun) return await s.conn.create(SERVICES, s.hostNamespace, { ...want, metadata: { ...want.metadata, name: undefined, generateName: 'dry-run-' } }, opts);
    await deleteHost(s.conn, SERVICES, s.hostNamespace, name, have.metadata.uid);
    have = undefined;
  }
  if (!have) {
    // Keep the IP the virtual service has (a host copy restored after someone deleted it).
    const spec = want.spec as ServiceSpec;
    const vSpec = (v.spec ?? {}) as ServiceSpec;
    if (vSpec.clusterIP && vSpec.clusterIP !== 'None') { spec.clusterIP = vSpec.clusterIP; spec.clusterIPs = vSpec.clusterIPs; }
    try {
      return await s.conn.create(SERVICES, s.hostNamespace, want, opts);
    } catch (e) {
      if (!(e instanceof HostError && e.alreadyExists)) throw e;
      have = await s.conn.get(SERVICES, s.hostNamespace, name);
    }
  }
  if (jsonEqual(comparable(have), comparable(want))) return have;
  const hs = have.spec as ServiceSpec;
  const next = { ...have, metadata: { ...have.metadata, labels: want.metadata.labels, annotations: want.metadata.annotations },
    spec: { ...(want.spec as ServiceSpec), clusterIP: hs.clusterIP, clusterIPs: hs.clusterIPs } } as KubeObject;
  return await s.conn.update(SERVICES, s.hostNamespace, next, opts);
}

export function hostServiceAdmission(s: SyncContext): AdmissionPlugin {
  const created = new Map<string, string>();
  const isService = (def: { group: string; plural: string }) => def.group === '' && def.plural === 'services';
  return {
    name: 'HostServiceAllocation',
    async admit(op, def, _ns, obj, old, _user, dryRun) {
      if (!isService(def) || localOnly(obj)) return;
      if (op === 'update' && old && jsonEqual(old.spec, obj.spec) && jsonEqual(old.metadata.labels ?? {}, obj.metadata.labels ?? {})) return;
      const ports = ((obj.spec as ServiceSpec | undefined)?.ports ?? []) as { nodePort?: number }[];
      const userNodePorts = ports.some((p) => p.nodePort) && (op === 'create' || !jsonEqual(old?.spec, obj.spec));
      let host: KubeObject;
      try {
        host = await writeHost(s, obj, userNodePorts, dryRun === true);
      } catch (e) {
        throw asApiError(e);
      }
      if (op === 'create' && !dryRun) created.set(obj.metadata.uid as string, host.metadata.name as string);
      const back = fromHostService(host, obj);
      obj.spec = { ...(obj.spec as object), ...back.spec };
    },
    aborted(op, def, obj) {
      if (!isService(def) || op !== 'create') return;
      const name = created.get(obj.metadata.uid as string);
      created.delete(obj.metadata.uid as string);
      if (name) void deleteHost(s.conn, SERVICES, s.hostNamespace, name).catch(() => undefined);
    },
    deleted(def, obj) {
      if (!isService(def)) return;
      created.delete(obj.metadata.uid as string);
      s.enqueue(`service/${obj.metadata.namespace}/${obj.metadata.name}`);
    },
  };
}

/** Keep the host copy of one virtual service in line, and bring its status back. */
export async function syncService(s: SyncContext, ns: string, name: string): Promise<void> {
  const v = s.peek(s.vc.registry.find('', 'v1', 'services')!, ns, name);
  const hName = hostName(name, ns, s.name);
  const h = s.hosts.services.get(hName);
  if (!v || localOnly(v)) {
    if (h && isManagedBy(h, s.name, 'Service')) await deleteHost(s.conn, SERVICES, s.hostNamespace, hName, h.metadata.uid);
    return;
  }
  let host: KubeObject;
  try {
    host = await writeHost(s, v, false, false);
  } catch (e) {
    if (raced(e)) { s.enqueue(`service/${ns}/${name}`); return; }
    throw e;
  }
  const back = fromHostService(host, v);
  if (back.recreate) {
    void s.ctl.events.record(v, 'Warning', 'ClusterIPChanged', `the host gave the service another cluster IP (${String((host.spec as ServiceSpec).clusterIP)}); recreate the service to use it`, 'kubevisor-syncer');
  }
  const vs = (v.status ?? {}) as Record<string, unknown>;
  if (!jsonEqual(vs.loadBalancer ?? {}, back.status.loadBalancer ?? {})) {
    await s.vc.store.guaranteedUpdate(s.vc.registry.find('', 'v1', 'services')!, ns, name, (cur) => {
      const o = cur as KubeObject;
      if (o.metadata.uid !== v.metadata.uid) return o;
      o.status = { ...((o.status ?? {}) as object), ...back.status };
      return o;
    }, { subresource: 'status', fieldManager: FIELD_MANAGER }).catch((e: unknown) => {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    });
  }
}
