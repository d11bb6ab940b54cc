// pods/proxy and services/proxy of a virtual cluster synced to a host: the
// request goes to the host's pods/proxy of the host pod (services/proxy of
// the host Service), over the host connection with the syncer's credentials,
// and the host's answer comes back. The server has authenticated the caller
// and authorized the request against the virtual cluster already; the
// caller's own credentials never go to the host (server/streaming/proxy.ts
// drops them, and Impersonate-* headers with them).
//
// What comes back names the virtual object, never the host's: the host's
// refusals (a Status with its code) are re-worded as for the pod streams
// (streams-errors.ts); links and redirects the host moved under its proxy
// path (`/api/v1/namespaces/HOST_NS/pods/HOST_NAME:80/proxy/…`) are moved
// under the client's. Answers of the backend itself pass unchanged.
//
// They replace, for a synced cluster, the handlers of server/pod-proxy.ts.

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ApiError, errors } from '../api/errors.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import type { ResourceContext } from '../server/handlers/resource.ts';
import { checkProxyMethod } from '../server/pod-proxy.ts';
import {
  PROXY_METHODS, answerHeaders, escapePath, forwardedHeaders, headerValue, joinSockets, parseProxyId, proxyLocation,
  rawHead, rawPairs, redirectToSlash, relayAnswer, setHeader, withName, type ProxyLocation,
} from '../server/streaming/proxy.ts';
import { splitUrl } from '../server/streaming/proxy-rewrite.ts';
import type { HostConnection, Upgraded } from './host/connection.ts';
import { HostError, hostErrorFromResponse, toHostError } from './host/errors.ts';
import { reword, virtualPodError, type PodPair } from './streams-errors.ts';
import type { ResolveHostPod } from './streams.ts';

/** Where a virtual Service is on the host: the connection, and its namespace and name there. */
export interface HostService {
  readonly conn: HostConnection;
  readonly namespace: string;
  readonly name: string;
}

/** The host Service of a virtual Service; undefined while it is not (yet) on the host, or never goes there. */
export type ResolveHostService = (namespace: string, name: string) => HostService | undefined;

/** A host refusal body larger than this is not read as a Status: it is the backend's. */
const STATUS_LIMIT = 1 << 20;

/** One proxied request, resolved: where it goes on the host and how to word what comes back. */
interface HostProxy {
  readonly conn: HostConnection;
  /** The host's proxy path of the object (`/api/v1/namespaces/HOST_NS/pods/HOST_NAME:80/proxy`). */
  readonly prefix: string;
  readonly loc: ProxyLocation;
  /** The Status the client gets for a host failure. */
  readonly fail: (e: unknown) => ApiError;
}

export function attachHostProxy(vc: VirtualCluster, resolvePod: ResolveHostPod, resolveService: ResolveHostService | undefined,
  opts: { signal?: AbortSignal } = {}): void {
  const podsDef = vc.registry.find('', 'v1', 'pods');
  const servicesDef = vc.registry.find('', 'v1', 'services');
  if (!podsDef) return;
  // Open WebSockets end when the cluster closes or the server stops.
  const stop = new AbortController();
  vc.whenClosed(() => stop.abort());
  opts.signal?.addEventListener('abort', () => stop.abort(), { once: true });

  const locate = {
    pods: async (namespace: string, id: string, url: string): Promise<HostProxy> => {
      const pid = parseProxyId(id, 'pod');
      const pod = await vc.store.get(podsDef, namespace, pid.name);
      const target = resolvePod(namespace, pid.name);
      // As upstream for a pod that has no IP yet: it does not run anywhere.
      if (!target) throw errors.badRequest('address not allowed');
      const pair: PodPair = { namespace, name: pid.name, hostNamespace: target.namespace, hostName: target.name, uid: pod.metadata.uid, hostUid: target.uid };
      return {
        conn: target.conn,
        prefix: `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${withName(id, target.name)}/proxy`,
        loc: proxyLocation(url, namespace, 'pods', id),
        fail: (e) => virtualPodError(e, pair),
      };
    },
    services: async (namespace: string, id: string, url: string): Promise<HostProxy> => {
      if (!servicesDef) throw errors.pathNotFound();
      const sid = parseProxyId(id, 'service');
      await vc.store.get(servicesDef, namespace, sid.name);
      const target = resolveService?.(namespace, sid.name);
      // A service that stays in the virtual cluster (ExternalName, `kubernetes`) or is not on the host yet.
      if (!target) throw errors.serviceUnavailable(`no endpoints available for service "${sid.name}"`);
      const pair: PodPair = { namespace, name: sid.name, hostNamespace: target.namespace, hostName: target.name };
      return {
        conn: target.conn,
        prefix: `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/services/${withName(id, target.name)}/proxy`,
        loc: proxyLocation(url, namespace, 'services', id),
        fail: (e) => virtualServiceError(e, pair),
      };
    },
  };

  for (const resource of ['pods', 'services'] as const) {
    vc.subresources.set(`/${resource}/proxy`, async (ctx) => {
      const namespace = ctx.info.namespace;
      const id = ctx.info.name;
      if (namespace === undefined || id === undefined || ctx.info.verb === 'watch') throw errors.pathNotFound();
      await checkProxyMethod(ctx);
      const p = await locate[resource](namespace, id, ctx.req.url ?? '/');
      if (redirectToSlash(ctx.req, ctx.res, p.loc)) return;
      await relayHttp(ctx, p);
    });
    vc.upgrades.set(`/${resource}/proxy`, async (req, socket, head, t) => {
      socket.on('error', () => { /* its 'close' ends the session */ });
      if (t.namespace === undefined) throw errors.pathNotFound();
      if (!PROXY_METHODS.has(req.method ?? 'GET')) throw errors.methodNotAllowed(req.method ?? '', `${resource}/proxy`);
      const p = await locate[resource](t.namespace, t.name, req.url ?? '/');
      const headers = hostHeaders(forwardedHeaders(req, { upgrade: true }));
      // The connection's own Connection: Upgrade goes; the rest of the upgrade (Upgrade, Sec-WebSocket-*) is the client's.
      delete headers.connection;
      let up: Upgraded;
      try {
        up = await p.conn.upgrade(hostPath(p), { headers });
      } catch (e) {
        throw p.fail(e);
      }
      if (socket.destroyed) {
        up.socket.destroy();
        return;
      }
      socket.write(rawHead(101, up.response.statusMessage, rawPairs(up.response.rawHeaders)));
      if (up.head.length > 0) socket.write(up.head);
      if (head.length > 0) up.socket.write(head);
      await joinSockets(socket, up.socket, stop.signal);
    });
  }
}

/** The host path of a proxied request: the host's proxy path, the cleaned subpath and the client's query. */
function hostPath(p: HostProxy): string {
  return p.prefix + escapePath(p.loc.subpath) + (p.loc.rawQuery !== '' ? `?${p.loc.rawQuery}` : '');
}

/**
 * Headers for the host: the client's, less the Host (the host API is reached
 * by its own name) and X-Forwarded-Uri (the host sets its own).
 */
function hostHeaders(h: OutgoingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) {
    if (k === 'host' || k === 'x-forwarded-uri' || v === undefined) continue;
    out[k] = typeof v === 'number' ? String(v) : v;
  }
  return out;
}

/** The Status the host answered with, when the answer is one (the host's refusal, not the backend's answer). */
function hostStatus(code: number, body: string, retryAfter: string | undefined): HostError | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const s = parsed as { kind?: unknown; apiVersion?: unknown; code?: unknown } | null;
  if (s?.kind !== 'Status' || s.apiVersion !== 'v1' || (s.code !== undefined && s.code !== code)) return undefined;
  return hostErrorFromResponse(code, body, retryAfter);
}

function readLimited(back: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      chunks.push(c);
      size += c.length;
      if (size <= limit) return;
      back.off('data', onData);
      back.pause();
      resolve(Buffer.concat(chunks));
    };
    back.on('data', onData);
    back.on('end', () => resolve(Buffer.concat(chunks)));
    back.on('error', reject);
  });
}

async function relayHttp(ctx: ResourceContext, p: HostProxy): Promise<void> {
  const { req, res } = ctx;
  const hostApi = new URL(p.conn.server);
  // The host words its links with its own request path: with the host connection's path prefix (a
  // kubevisor host behind /clusters/NAME), or without it (an API server behind a path-stripping proxy).
  const hostPrefixes = hostApi.pathname.replace(/\/+$/, '') !== '' ? [hostApi.pathname.replace(/\/+$/, '') + p.prefix, p.prefix] : [p.prefix];
  const toClient = (url: string): string => clientUrl(url, hostPrefixes, p.loc.prefix, hostApi.host);
  let back: IncomingMessage;
  try {
    const out = await p.conn.open(req.method ?? 'GET', hostPath(p), hostHeaders(forwardedHeaders(req, { upgrade: false })));
    back = await new Promise<IncomingMessage>((resolve, reject) => {
      out.on('error', (e) => reject(toHostError(e)));
      out.on('response', resolve);
      res.once('close', () => { if (!res.writableFinished) out.destroy(); });
      req.pipe(out);
    });
  } catch (e) {
    if (res.destroyed) return;
    throw p.fail(e);
  }
  const code = back.statusCode ?? 502;
  const pairs = answerHeaders(back.rawHeaders);
  const type = headerValue(pairs, 'content-type') ?? '';
  if (code >= 400 && type.split(';')[0]!.trim().toLowerCase() === 'application/json') {
    const body = await readLimited(back, STATUS_LIMIT).catch(() => undefined);
    if (body === undefined) { res.destroy(); return; }
    const refusal = body.length <= STATUS_LIMIT ? hostStatus(code, body.toString('utf8'), headerValue(pairs, 'retry-after')) : undefined;
    if (refusal) {
      back.destroy();
      throw p.fail(refusal);
    }
    await relayBuffered(back, res, pairs, body);
    return;
  }
  const location = headerValue(pairs, 'location');
  if (location !== undefined) {
    setHeader(pairs, 'location', toClient(location));
    await relayAnswer(back, res, pairs);
    return;
  }
  await relayAnswer(back, res, pairs, toClient);
}

/** An answer whose first bytes were read already: those, then the rest as it comes. */
function relayBuffered(back: IncomingMessage, res: ServerResponse, pairs: Array<[string, string]>, first: Buffer): Promise<void> {
  return new Promise<void>((resolve) => {
    res.once('close', () => { back.destroy(); resolve(); });
    const headers: Record<string, string[]> = {};
    for (const [k, v] of pairs) (headers[k] ??= []).push(v);
    res.writeHead(back.statusCode ?? 502, back.statusMessage, headers);
    res.write(first);
    if (back.readableEnded) { res.end(); return; }
    back.on('error', () => res.destroy());
    back.on('close', () => { if (!back.complete) res.destroy(); });
    back.pipe(res);
    back.resume();
  });
}

/**
 * A URL of the host's answer as the client should see it: a path under the
 * host's proxy path moved under the client's; the host API's own address dropped.
 */
export function clientUrl(url: string, hostPrefixes: readonly string[], clientPrefix: string, hostApiHost: string): string {
  const u = splitUrl(url);
  if (u.opaque || (u.host !== '' && u.host !== hostApiHost)) return url;
  const from = hostPrefixes.find((h) => u.path === h || u.path.startsWith(`${h}/`));
  if (from === undefined) return url;
  // The host API's own address is not the client's: a path alone, as upstream words links to the backend.
  return clientPrefix + u.path.slice(from.length) + u.query + u.fragment;
}

/**
 * The Status a tenant gets for a host failure on a service proxy: as for a
 * pod's streams (streams-errors.ts), worded for the service.
 */
function virtualServiceError(e: unknown, svc: PodPair): ApiError {
  if (e instanceof HostError) {
    if (e.code === 0) return errors.serviceUnavailable(`unable to reach service ${svc.name} in namespace ${svc.namespace} now; try again later`);
    if ((e.code === 401 || e.code === 403) && (e.reason === 'Unauthorized' || e.reason === 'Forbidden')) {
      return errors.internal(`the virtual cluster may not reach service ${svc.namespace}/${svc.name} where it runs`);
    }
    // `services "x" not found`, `endpoints "x" not found`: the host's kind, the virtual name.
    if (e.code === 404) {
      return new ApiError(404, 'NotFound', reword(e.message, svc), { name: svc.name, group: '', kind: e.status?.details?.kind ?? 'services' });
    }
  }
  return virtualPodError(e, svc);
}
