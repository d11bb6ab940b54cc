// `pods/proxy` and `services/proxy` of a cluster whose pods are simulated:
// HTTP (and WebSocket upgrades) through the API server to the local address
// a pod's `kubevisor.dev/port-forward-<port>` annotation names for the port
// (server/streaming/proxy.ts for the proxying, proxy-targets.ts for which pod
// and port a request goes to). A cluster synced to a host cluster replaces
// these handlers with the host's (syncer/streams-proxy.ts).
//
// The server authorizes a proxied request by its method, as upstream does:
// get (GET, HEAD), create (POST), update (PUT), patch (PATCH), delete
// (DELETE) on pods/proxy or services/proxy, with the name as written in the
// path (`web:8080`). OPTIONS is authorized here as upstream's verb `options`.

import { errors } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import { listPrefix } from '../registry/generic/keys.ts';
import type { VirtualCluster } from './cluster.ts';
import type { ResourceContext } from './handlers/resource.ts';
import { forbiddenError } from './rbac/authorizer.ts';
import type { StreamingOptions } from './streaming/pod-config.ts';
import type { ProxyTarget } from './streaming/proxy.ts';

/** Lazily loaded: most clusters never proxy. */
const modules = () => Promise.all([import('./streaming/proxy.ts'), import('./streaming/proxy-targets.ts')]);

/**
 * Check the method of a proxied request (405 for one upstream does not
 * proxy) and, for OPTIONS, authorize verb `options`: the request path mapped
 * it to `get`, which upstream does not.
 */
export async function checkProxyMethod(ctx: ResourceContext): Promise<void> {
  const method = ctx.req.method ?? 'GET';
  const { PROXY_METHODS } = await import('./streaming/proxy.ts');
  if (!PROXY_METHODS.has(method)) throw errors.methodNotAllowed(method, `${ctx.info.resource}/proxy`);
  if (method !== 'OPTIONS') return;
  const attrs = {
    verb: 'options', group: ctx.info.group, version: ctx.info.version, resource: ctx.info.resource, subresource: 'proxy',
    namespace: ctx.info.namespace, name: ctx.info.name,
  };
  const d = await ctx.authorizer.authorize(ctx.user, attrs);
  if (!d.allowed) throw forbiddenError(ctx.user, attrs, d.reason);
}

/**
 * Where a connection to service `id` (`[scheme:]NAME[:PORT]`, as services/proxy
 * names it) of `namespace` goes in a cluster of simulated pods: a ready
 * endpoint's pod and its target port, the address its port-forward annotation
 * names. Resolved when called; the returned function throws a DialError when
 * the pod's port goes nowhere. Also how admission webhooks reach a Service.
 */
export async function simulatedServiceTarget(vc: VirtualCluster, namespace: string, id: string, options: StreamingOptions): Promise<() => ProxyTarget> {
  const podsDef = vc.registry.find('', 'v1', 'pods');
  const servicesDef = vc.registry.find('', 'v1', 'services');
  const endpointsDef = vc.registry.find('', 'v1', 'endpoints');
  const slicesDef = vc.registry.find('discovery.k8s.io', 'v1', 'endpointslices');
  if (!podsDef || !servicesDef || !endpointsDef) throw errors.pathNotFound();
  const [proxy, targets] = await modules();
  const sid = proxy.parseProxyId(id, 'service');
  const portName = /^\d+$/.test(sid.port) ? targets.servicePortName(await vc.store.get(servicesDef, namespace, sid.name), sid.port) : sid.port;
  await vc.cache.sync();
  const endpoints = vc.store.peek(endpointsDef, namespace, sid.name);
  let subsets: ReturnType<typeof targets.endpointsSubsets>;
  if (endpoints) {
    subsets = targets.endpointsSubsets(endpoints);
  } else {
    // No Endpoints object (its controller not running): the EndpointSlices of the service stand in.
    const slices: KubeObject[] = [];
    if (slicesDef) {
      for (const c of vc.cache.scan(listPrefix(slicesDef, namespace))) {
        if (c.obj.metadata.labels?.['kubernetes.io/service-name'] === sid.name) slices.push(c.obj);
      }
    }
    if (slices.length === 0) throw errors.notFound({ group: '', resource: 'endpoints' }, sid.name);
    subsets = targets.sliceSubsets(slices);
  }
  const ep = await targets.pickEndpoint(subsets, portName, id, sid.name, namespace, async (name) => vc.store.peek(podsDef, namespace, name));
  return () => targets.simulatedTarget(ep.pod, ep.port, sid.scheme, options);
}

export function attachPodProxy(vc: VirtualCluster, opts: { hostAccess: boolean; signal: AbortSignal }): void {
  const podsDef = vc.registry.find('', 'v1', 'pods');
  if (!podsDef) return;
  const options: StreamingOptions = { hostAccess: opts.hostAccess, signal: opts.signal };

  /** Where a pods/proxy request goes: the pod must exist and have an IP; the port's annotation is read when connecting. */
  const podTarget = async (namespace: string, id: string) => {
    const [proxy, targets] = await modules();
    const pid = proxy.parseProxyId(id, 'pod');
    const pod = await vc.store.get(podsDef, namespace, pid.name);
    const addr = targets.podAddress(pod, pid);
    return () => targets.simulatedTarget(pod, targets.dialPort(addr.ip, addr.port, pid.scheme), pid.scheme, options);
  };

  /** Where a services/proxy request goes: a ready endpoint's pod and its target port. */
  const serviceTarget = (namespace: string, id: string) => simulatedServiceTarget(vc, namespace, id, options);

  for (const [resource, target] of [['pods', podTarget], ['services', serviceTarget]] as const) {
    vc.subresources.set(`/${resource}/proxy`, async (ctx) => {
      const namespace = ctx.info.namespace;
      const id = ctx.info.name;
      if (namespace === undefined || id === undefined || ctx.info.verb === 'watch') throw errors.pathNotFound();
      await checkProxyMethod(ctx);
      const resolve = await target(namespace, id);
      const [proxy] = await modules();
      const loc = proxy.proxyLocation(ctx.req.url ?? '/', namespace, resource, id);
      await proxy.proxyHttp(ctx.req, ctx.res, loc, resolve);
    });
    // A WebSocket through the proxy arrives as an upgrade.
    vc.upgrades.set(`/${resource}/proxy`, async (req, socket, head, t) => {
      if (t.namespace === undefined) throw errors.pathNotFound();
      const [proxy] = await modules();
      if (!proxy.PROXY_METHODS.has(req.method ?? 'GET')) throw errors.methodNotAllowed(req.method ?? '', `${resource}/proxy`);
      const resolve = await target(t.namespace, t.name);
      const loc = proxy.proxyLocation(req.url ?? '/', t.namespace, resource, t.name);
      await proxy.proxyUpgrade(req, socket, head, loc, resolve, opts.signal);
    });
  }
}
