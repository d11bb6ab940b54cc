// Whether an APIService backed by a Service is available, checked as
// kube-aggregator's remote availability controller checks it: the Service
// exists; a ClusterIP Service listens on the port, has EndpointSlices, and
// one of them has a ready endpoint with that port's name; then a GET of
// /apis/GROUP/VERSION through the same connection the proxy uses (as
// system:kube-aggregator in system:masters, 5 s) answers 2xx. The answer, an
// APIResourceList, is what discovery lists for the group version; the
// backend's /openapi/v3/apis/GROUP/VERSION, fetched after it, is what
// /openapi/v3 serves for it.
//
// Reasons and messages are upstream's: ServiceNotFound, ServicePortError,
// EndpointsNotFound, MissingEndpoints, FailedDiscoveryCheck, Passed.

import type { KubeObject } from '../../api/types.ts';
import { listPrefix } from '../../registry/generic/keys.ts';
import type { Aggregator, Backend } from './index.ts';

export interface AvailableCondition {
  readonly type: 'Available';
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

type Json = Record<string, unknown>;

function list(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter((x): x is Json => typeof x === 'object' && x !== null) : [];
}

/** Whether EndpointSlices have a ready endpoint and a port of that name (upstream's hasAvailableEndpoint). */
export function hasAvailableEndpoint(portName: string, slices: readonly KubeObject[]): boolean {
  return slices.some((s) => {
    const ready = list((s as Json).endpoints).some((e) => (e.conditions as Json | undefined)?.ready !== false);
    if (!ready) return false;
    return list((s as Json).ports).some((p) => (typeof p.name === 'string' ? p.name : '') === portName && typeof p.port === 'number');
  });
}

/** The URL upstream's messages name: the Service's cluster IP and port. */
export function discoveryUrl(b: Backend, service: KubeObject | undefined): string {
  const ip = (service?.spec as Json | undefined)?.clusterIP;
  const host = typeof ip === 'string' && ip !== '' && ip !== 'None' ? (ip.includes(':') ? `[${ip}]` : ip) : `${b.service.name}.${b.service.namespace}.svc`;
  const path = b.group === '' ? `/api/${b.version}` : `/apis/${b.group}/${b.version}`;
  return `https://${host}:${b.service.port}${path}`;
}

function unavailable(reason: string, message: string): AvailableCondition {
  return { type: 'Available', status: 'False', reason, message };
}

/** Check one backend; records what its discovery answered on the aggregator. */
export async function checkAvailability(agg: Aggregator, b: Backend): Promise<AvailableCondition> {
  const vc = agg.vc;
  const { namespace, name, port } = b.service;
  const servicesDef = vc.registry.find('', 'v1', 'services');
  const slicesDef = vc.registry.find('discovery.k8s.io', 'v1', 'endpointslices');
  await vc.cache.sync();
  const service = servicesDef ? vc.store.peek(servicesDef, namespace, name) : undefined;
  if (!service) return unavailable('ServiceNotFound', `service/${name} in ${JSON.stringify(namespace)} is not present`);
  const spec = (service.spec ?? {}) as Json;
  const type = typeof spec.type === 'string' ? spec.type : 'ClusterIP';
  if (type === 'ClusterIP') {
    const found = list(spec.ports).find((p) => p.port === port);
    if (!found) return unavailable('ServicePortError', `service/${name} in ${JSON.stringify(namespace)} is not listening on port ${port}`);
    const portName = typeof found.name === 'string' ? found.name : '';
    const slices: KubeObject[] = [];
    if (slicesDef) {
      for (const c of vc.cache.scan(listPrefix(slicesDef, namespace))) {
        if (c.obj.metadata.labels?.['kubernetes.io/service-name'] === name) slices.push(c.obj);
      }
    }
    if (slices.length === 0) return unavailable('EndpointsNotFound', `cannot find endpointslices for service/${name} in ${JSON.stringify(namespace)}`);
    if (!hasAvailableEndpoint(portName, slices)) {
      return unavailable('MissingEndpoints', `endpointslices for service/${name} in ${JSON.stringify(namespace)} have no addresses with port name ${JSON.stringify(portName)}`);
    }
  }
  const url = discoveryUrl(b, service);
  const path = new URL(url).pathname;
  const { backendGet, BackendError } = await import('./proxy.ts');
  try {
    const answer = await backendGet(agg, b, path, { 'x-remote-user': 'system:kube-aggregator', 'x-remote-group': 'system:masters' }, 5000);
    if (answer.status < 200 || answer.status >= 300) {
      agg.setDiscovery(b.name, b.group, b.version, undefined);
      return unavailable('FailedDiscoveryCheck', `failing or missing response from ${url}: bad status from ${url}: ${answer.status}`);
    }
    let resources: Json[] = [];
    try {
      resources = list((JSON.parse(answer.body.toString('utf8')) as Json).resources);
    } catch { /* not a resource list: nothing to list */ }
    agg.setDiscovery(b.name, b.group, b.version, resources);
    // Its OpenAPI v3 document, for `kubectl explain` (a backend without one is still available).
    const docPath = `/openapi/v3${path}`;
    try {
      const doc = await backendGet(agg, b, docPath, { 'x-remote-user': 'system:kube-aggregator', 'x-remote-group': 'system:masters' }, 5000);
      const body = doc.status >= 200 && doc.status < 300 ? doc.body : undefined;
      let parsed: unknown;
      try { parsed = body && JSON.parse(body.toString('utf8')); } catch { parsed = undefined; }
      const { makeV3Document } = await import('../../api/openapi/v3.ts');
      agg.setOpenAPI(b.name, b.group, b.version, parsed && typeof parsed === 'object' ? makeV3Document(body as Buffer) : undefined);
    } catch {
      agg.setOpenAPI(b.name, b.group, b.version, undefined);
    }
  } catch (e) {
    agg.setDiscovery(b.name, b.group, b.version, undefined);
    const text = (e as Error)?.message ?? String(e);
    const resolving = e instanceof BackendError && e.stage === 'resolve';
    return unavailable('FailedDiscoveryCheck', resolving ? text : `failing or missing response from ${url}: Get ${JSON.stringify(url)}: ${text}`);
  }
  return { type: 'Available', status: 'True', reason: 'Passed', message: 'all checks passed' };
}
