// Admission webhooks of a synced virtual cluster named by a Service: the
// webhook's pods run on the host, so the call goes through the host's
// services/proxy of the host Service
// (`/api/v1/namespaces/HOST_NS/services/https:HOST_NAME:PORT/proxy/PATH`) over
// the syncer's host connection, as the virtual cluster's own services/proxy
// does (streams-proxy.ts).
//
// The host's proxy speaks HTTPS to the pod without checking its certificate
// against the webhook's caBundle (upstream's services/proxy does not check
// backends either): on this route the caBundle is not verified.
//
// The host's own refusals (no endpoints, a backend it cannot dial) read as
// the transport failures upstream reports for them, with the virtual names:
// `no endpoints available for service "NAME"`, `dial tcp ...: connect:
// connection refused`.

import type { IncomingMessage } from 'node:http';
import type { KubeObject } from '../api/types.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import { TransportError, type ServiceRoute } from '../server/admission/webhooks/index.ts';
import { reword, type PodPair } from './streams-errors.ts';
import type { ResolveHostService } from './streams-proxy.ts';

/** A host refusal of a proxied request, as a transport failure's text; undefined when the answer is the backend's. */
function hostRefusal(status: number, body: Buffer, pair: PodPair): string | undefined {
  if (status < 400) return undefined;
  let s: { kind?: unknown; apiVersion?: unknown; message?: unknown } | undefined;
  try {
    s = JSON.parse(body.toString('utf8')) as typeof s;
  } catch {
    return undefined;
  }
  if (s?.kind !== 'Status' || s.apiVersion !== 'v1' || typeof s.message !== 'string') return undefined;
  const text = reword(s.message, pair).replace(/^error trying to reach service: /, '');
  // The host names the proxied id (`https:NAME:PORT`); upstream's resolver names the Service.
  return text.replace(/no endpoints available for service "https:([^":]+):\d+"/, 'no endpoints available for service "$1"');
}

export function hostWebhookRoute(vc: VirtualCluster, resolve: ResolveHostService): ServiceRoute {
  const servicesDef = vc.registry.find('', 'v1', 'services');
  return async (service, _caBundle, request) => {
    const virtual: KubeObject | undefined = servicesDef && vc.store.peek(servicesDef, service.namespace, service.name);
    if (!virtual) throw new TransportError(`service ${JSON.stringify(service.name)} not found`);
    const target = resolve(service.namespace, service.name);
    // Not on the host (yet), or never (ExternalName).
    if (!target) throw new TransportError(`no endpoints available for service ${JSON.stringify(service.name)}`);
    const pair: PodPair = { namespace: service.namespace, name: service.name, hostNamespace: target.namespace, hostName: target.name };
    const path = `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/services/https:${target.name}:${service.port}/proxy${request.path}`;
    const headers: Record<string, string> = { ...request.headers, 'Content-Length': String(request.body.length) };
    if (request.signal.aborted) throw new TransportError('context deadline exceeded');
    const out = await target.conn.open('POST', path, headers).catch((e: unknown) => { throw new TransportError(reword((e as Error).message, pair)); });
    return await new Promise((resolveAnswer, reject) => {
      const onAbort = (): void => { out.destroy(); reject(new TransportError('context deadline exceeded')); };
      request.signal.addEventListener('abort', onAbort, { once: true });
      out.on('error', (e) => {
        request.signal.removeEventListener('abort', onAbort);
        reject(new TransportError(request.signal.aborted ? 'context deadline exceeded' : reword(e.message, pair)));
      });
      out.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(new TransportError(reword(e.message, pair))));
        res.on('end', () => {
          request.signal.removeEventListener('abort', onAbort);
          const body = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          const refusal = hostRefusal(status, body, pair);
          if (refusal !== undefined) reject(new TransportError(refusal));
          else resolveAnswer({ status, headers: res.headers, body });
        });
      });
      out.end(request.body);
    });
  };
}
