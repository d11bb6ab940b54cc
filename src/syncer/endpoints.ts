// Endpoints of services without a selector: the host cannot compute them (it has
// no selector to go by), so the virtual cluster's own Endpoints are copied to
// the host service's, as written there by their owner. Services with a
// selector get theirs from the host's controllers (their translated selector).
import { ApiError } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import { jsonEqual } from '../registry/generic/metadata.ts';
import type { SyncContext } from './context.ts';
import { HostError, type HostResource } from './host/index.ts';
import { FIELD_MANAGER } from './resources.ts';
import { deleteHost } from './sync-errors.ts';
import { hostName, isManagedBy, toHostMeta } from './translate/index.ts';

export const ENDPOINTS: HostResource = { apiVersion: 'v1', plural: 'endpoints' };

interface Subset { addresses?: Record<string, unknown>[]; notReadyAddresses?: Record<string, unknown>[]; ports?: unknown[] }

/** The subsets as the host gets them: references to virtual objects dropped. */
function hostSubsets(subsets: Subset[] | undefined): Subset[] {
  const strip = (list: Record<string, unknown>[] | undefined) => list?.map(({ targetRef: _t, nodeName: _n, ...a }) => a);
  return (subsets ?? []).map((s) => {
    const out: Subset = {};
    const a = strip(s.addresses);
    const n = strip(s.notReadyAddresses);
    if (a && a.length) out.addresses = a;
    if (n && n.length) out.notReadyAddresses = n;
    if (s.ports) out.ports = s.ports;
    return out;
  });
}

export async function syncEndpoints(s: SyncContext, ns: string, name: string): Promise<void> {
  const svcDef = s.vc.registry.find('', 'v1', 'services');
  const epDef = s.vc.registry.find('', 'v1', 'endpoints');
  if (!svcDef || !epDef) return;
  const svc = s.peek(svcDef, ns, name);
  const spec = (svc?.spec ?? {}) as { selector?: Record<string, string>; type?: string };
  const selectorless = svc !== undefined && Object.keys(spec.selector ?? {}).length === 0 && spec.type !== 'ExternalName' &&
    !(ns === 'default' && name === 'kubernetes');
  const ep = selectorless ? s.peek(epDef, ns, name) : undefined;
  const hName = hostName(name, ns, s.name);
  let have: KubeObject | undefined;
  try {
    have = await s.conn.get(ENDPOINTS, s.hostNamespace, hName);
  } catch (e) {
    if (!(e instanceof HostError && e.notFound)) throw e;
  }
  if (!ep) {
    // Not ours to manage any more (the service has a selector again, or is gone): only our own copy goes.
    if (have && isManagedBy(have, s.name, 'Endpoints')) await deleteHost(s.conn, ENDPOINTS, s.hostNamespace, hName, have.metadata.uid);
    return;
  }
  const want: KubeObject = {
    apiVersion: 'v1', kind: 'Endpoints',
    metadata: toHostMeta(ep, 'Endpoints', { vcluster: s.name, hostNamespace: s.hostNamespace }),
    subsets: hostSubsets(ep.subsets as Subset[] | undefined),
  } as KubeObject;
  try {
    if (!have) await s.conn.create(ENDPOINTS, s.hostNamespace, want, { fieldManager: FIELD_MANAGER });
    else if (!jsonEqual(have.subsets ?? [], want.subsets) || !jsonEqual(have.metadata.labels ?? {}, want.metadata.labels ?? {})) {
      await s.conn.update(ENDPOINTS, s.hostNamespace, { ...want, metadata: { ...want.metadata, resourceVersion: have.metadata.resourceVersion } }, { fieldManager: FIELD_MANAGER });
    }
  } catch (e) {
    if (e instanceof HostError && (e.alreadyExists || e.conflict)) { s.enqueue(`endpoints/${ns}/${name}`); return; }
    if (e instanceof ApiError) throw e;
    throw e;
  }
}
