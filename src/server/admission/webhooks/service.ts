// How a webhook named by clientConfig.service is reached. Upstream resolves
// the Service to an endpoint and speaks HTTPS to it as
// `NAME.NAMESPACE.svc`, checking the certificate against the caBundle.
//
// - A cluster of simulated pods: the Service's ready endpoint pod and target
//   port, as services/proxy picks them (pod-proxy.ts, proxy-targets.ts), and
//   the local address the pod's `kubevisor.dev/port-forward-<port>`
//   annotation names; HTTPS to it with the server name `NAME.NAMESPACE.svc`
//   and the caBundle.
// - A cluster whose pods run elsewhere (synced to a host cluster) reaches
//   its Services through the dialer it set (service-dial.ts: the syncer's
//   tunnels to the host pod), with TLS from here to the pod (dialedRoute); a
//   route set with setServiceRoute takes precedence (tests).
//
// Resolution failures read as upstream's resolver words them:
// `service "NAME" not found`, `no endpoints available for service "NAME"`,
// `no service port 443 found for service "NAME"`.

import { ApiError } from '../../../api/errors.ts';
import type { VirtualCluster } from '../../cluster.ts';
import type { ServiceDialer } from '../../service-dial.ts';
import { simulatedServiceTarget } from '../../pod-proxy.ts';
import type { StreamingOptions } from '../../streaming/pod-config.ts';
import { TransportError, type HttpAnswer, type WebhookPost } from './transport.ts';
import type { ServiceReference } from './config.ts';

/** Sends a webhook's POST to its Service; rejects with a TransportError (Go's words after `Post "URL": `). */
export type ServiceRoute = (service: ServiceReference, caBundle: string | undefined, request: WebhookPost) => Promise<HttpAnswer>;

const routes = new WeakMap<VirtualCluster, ServiceRoute>();

/** Route the cluster's webhook Services through `route` (a synced cluster: its host); returns what removes it. */
export function setServiceRoute(vc: VirtualCluster, route: ServiceRoute): () => void {
  routes.set(vc, route);
  return () => { if (routes.get(vc) === route) routes.delete(vc); };
}

export function serviceRouteOf(vc: VirtualCluster): ServiceRoute | undefined {
  return routes.get(vc);
}

/** The DNS name a Service's webhook certificate is checked against. */
export function serviceHost(s: ServiceReference): string {
  return `${s.name}.${s.namespace}.svc`;
}

const dialedRoutes = new WeakMap<ServiceDialer, ServiceRoute>();

/**
 * The route of a cluster that reaches its Services through a dialer (one
 * synced to a host: a tunnel to the pod through the host's port-forward): TLS
 * from here to the pod, the certificate checked against the caBundle for
 * `NAME.NAMESPACE.svc`, as upstream's webhook client does.
 */
export function dialedRoute(dialer: ServiceDialer): ServiceRoute {
  let route = dialedRoutes.get(dialer);
  if (!route) {
    route = async (service, caBundle, request) => {
      const { postOver } = await import('./client.ts');
      const dial = (signal: AbortSignal) => dialer({ namespace: service.namespace, name: service.name, port: service.port }, signal);
      return postOver(dial, {
        host: serviceHost(service), port: service.port, serverName: serviceHost(service), hostHeader: `${serviceHost(service)}:${service.port}`, ca: caBundle,
      }, request);
    };
    dialedRoutes.set(dialer, route);
  }
  return route;
}

/** The route of a cluster of simulated pods: the annotated address of a ready endpoint's pod. */
export function simulatedRoute(vc: VirtualCluster, options: StreamingOptions): ServiceRoute {
  return async (service, caBundle, request) => {
    let target;
    try {
      const resolve = await simulatedServiceTarget(vc, service.namespace, `https:${service.name}:${service.port}`, options);
      target = resolve();
    } catch (e) {
      if (e instanceof ApiError && e.code === 404 && e.details?.kind === 'services') throw new TransportError(`service ${JSON.stringify(service.name)} not found`);
      if (e instanceof ApiError && ((e.code === 404 && e.details?.kind === 'endpoints') || e.message.startsWith('no endpoints available'))) {
        throw new TransportError(`no endpoints available for service ${JSON.stringify(service.name)}`);
      }
      if (e instanceof ApiError) throw new TransportError(e.message);
      throw new TransportError((e as Error).message);
    }
    const { post } = await import('./client.ts');
    return post({
      host: target.host, port: target.port, serverName: serviceHost(service), hostHeader: `${serviceHost(service)}:${service.port}`, ca: caBundle,
    }, request);
  };
}
