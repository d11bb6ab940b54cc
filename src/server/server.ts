// The HTTPS server: authenticates each request, finds its virtual cluster
// (/clusters/NAME/... or the root), and hands it to discovery, the
// non-resource endpoints, or the resource handlers.

import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, errors } from '../api/errors.ts';
import type { Duplex } from 'node:stream';
import type { UserInfo } from '../registry/types.ts';
import { admitConnect } from './admission/connect.ts';
import { anonymousUser, authenticate } from './auth/authenticate.ts';
import { isPublicPath } from './auth/authorize.ts';
import { forbiddenError } from './rbac/authorizer.ts';
import type { VirtualCluster } from './cluster.ts';
import { discoveryDocument } from './discovery.ts';
import { serveResource } from './handlers/resource.ts';
import { negotiate } from './http/negotiate.ts';
import { writeError, writeObject } from './http/respond.ts';
import { serveNonResource } from './nonresource.ts';
import { serveOpenAPI } from './openapi.ts';
import type { RunningServer, ServerOptions } from './options.ts';
import { parseRequestInfo } from './request-info.ts';
import { admitRequest } from './tenancy/limits.ts';
import { FairDispatcher } from './tenancy/fair-queue.ts';
import { installCodecs, protobufFor } from './codecs.ts';
import { aggregatorOf } from './aggregator/index.ts';
import type { V3Document } from '../api/openapi/v3.ts';

export interface RequestServices {
  /** The admin API, served at the root. */
  admin: VirtualCluster;
  resolveCluster: (name: string) => Promise<VirtualCluster>;
  clusterOf?: (req: IncomingMessage) => string | undefined;
  /** Takes turns between clusters once the server is busy. */
  dispatcher: FairDispatcher<VirtualCluster>;
  serverAddress: string;
}

/** The no-op 'data' listener that keeps Node's HTTP parser off a TLS socket's native stream. */
function readThroughEvents(): void {}

/** Past this many bytes still queued on the socket when a response ends, the connection switches (below). */
const LARGE_RESPONSE_BYTES = 64 * 1024;

/**
 * Node's HTTP server hands a TLS socket's bytes to its parser natively. When the
 * next request arrives while a large response is still draining (kubectl's
 * requests after it read a big CRD), it pauses the parser, and bytes the TLS
 * layer has already decrypted then fail it (HPE_PAUSED): the connection is
 * dropped and the client sees `EOF`. A 'data' listener on the connection makes
 * Node feed the parser from the socket's events instead, which a pause holds
 * back. That path costs about a tenth of small requests' throughput, so a
 * connection takes it only once a response of its leaves much queued behind
 * it. (Upgraded connections drop the listener: see the 'upgrade' handler.)
 */
export function readRequestsThroughEvents(server: Server): void {
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    res.once('prefinish', () => {
      const socket = res.socket;
      if (socket && socket.writableLength > LARGE_RESPONSE_BYTES && !socket.listeners('data').includes(readThroughEvents)) {
        socket.on('data', readThroughEvents);
      }
    });
  });
}

/** Requests served at once, across all clusters, before clusters take turns. */
const DEFAULT_CONCURRENCY = 16;

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  installCodecs();
  const services: RequestServices = {
    admin: opts.admin, resolveCluster: opts.resolveCluster, clusterOf: opts.clusterOf, serverAddress: '',
    dispatcher: new FairDispatcher(opts.concurrency ?? DEFAULT_CONCURRENCY),
  };
  const server: Server = createServer({
    cert: opts.tls.cert,
    key: opts.tls.key,
    ca: opts.tls.clientCA,
    requestCert: true,
    rejectUnauthorized: false, // unauthenticated clients get a 401 Status, not a TLS failure
    keepAliveTimeout: 65_000,
  }, (req, res) => {
    handle(services, req, res).catch((err) => writeError(res, err));
  });
  readRequestsThroughEvents(server);
  // exec, attach and port-forward arrive as HTTP upgrades (WebSocket or SPDY).
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.removeListener('data', readThroughEvents);
    // Node leaves an upgraded socket without an error listener: a client resetting it while the
    // request is authenticated must not become an uncaught error.
    socket.on('error', () => socket.destroy());
    handleUpgrade(services, req, socket, head).catch((err) => rejectUpgrade(socket, err));
  });
  server.headersTimeout = 60_000;
  server.requestTimeout = 0; // watches stay open
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  services.serverAddress = `${opts.host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url: `https://${host}:${port}`,
    port,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        // Upgraded exec/port-forward sockets are not the HTTP server's: the clusters end them.
        await opts.onClose?.();
        await stopped;
      })();
      return closing;
    },
  };
}

/** Answer an upgrade that cannot proceed with a plain HTTP Status response. */
function rejectUpgrade(socket: Duplex, err: unknown): void {
  const e = err instanceof ApiError ? err : errors.internal(err instanceof Error ? err.message : String(err));
  if (!(err instanceof ApiError)) console.error('kubevisor: upgrade failed:', err);
  const body = JSON.stringify(e.toStatus());
  const reason = e.code === 401 ? 'Unauthorized' : e.code === 403 ? 'Forbidden' : e.code === 404 ? 'Not Found' : e.code === 400 ? 'Bad Request' : 'Error';
  socket.end(`HTTP/1.1 ${e.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

async function handleUpgrade(services: RequestServices, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://localhost');
  const { cluster, path } = await routeCluster(services, decodeURIComponent(url.pathname), req);
  const who = await userOf(req, cluster);
  if (!who) throw errors.unauthorized();
  const info = parseRequestInfo(req.method ?? 'GET', path, url.searchParams);
  // A group/version an APIService backed by a Service serves: authorized here, then joined to its server.
  const backend = info.kind === 'resource' ? aggregatorOf(cluster)?.backend(info.group, info.version) : undefined;
  if (backend && info.kind === 'resource') {
    const attrs = { verb: info.verb, group: info.group, version: info.version, resource: info.resource, subresource: info.subresource, namespace: info.namespace, name: info.name };
    const decision = await cluster.authorizer.authorize(who, attrs);
    if (!decision.allowed) throw forbiddenError(who, attrs, decision.reason);
    const release = admitRequest(cluster, true);
    socket.once('close', release);
    return aggregatorOf(cluster)!.proxyUpgrade(backend, req, socket, head, who, rawClusterPath(url.pathname), url.searchParams);
  }
  if (info.kind !== 'resource' || info.name === undefined || info.subresource === undefined) throw errors.badRequest('only exec, attach and portforward can be upgraded');
  const handler = cluster.upgrades.get(`${info.group}/${info.resource}/${info.subresource}`);
  if (!handler) throw errors.badRequest(`the ${info.subresource} subresource of ${info.resource} cannot be upgraded`);
  // Upstream authorizes exec, attach and portforward connections as creates on the subresource;
  // a WebSocket through pods/proxy or services/proxy by its method, as any proxied request.
  const verb = info.subresource === 'proxy' ? info.verb : 'create';
  const attrs = { verb, group: info.group, version: info.version, resource: info.resource, subresource: info.subresource, namespace: info.namespace, name: info.name };
  const decision = await cluster.authorizer.authorize(who, attrs);
  if (!decision.allowed) throw forbiddenError(who, attrs, decision.reason);
  const release = admitRequest(cluster, true);
  socket.once('close', release);
  // Admission (CONNECT) before anything connects; a mutating webhook may change the request's options.
  const def = cluster.registry.find(info.group, info.version, info.resource);
  if (def) await admitConnect(cluster, { def, info, req, user: who });
  const query = new URL(req.url ?? '/', 'https://localhost').searchParams;
  await handler(req, socket, head, { namespace: info.namespace, name: info.name, query });
}

/**
 * The OpenAPI v3 documents /openapi/v3 lists beside the cluster's generated ones: the
 * Metrics API's (unless an APIService serves it), and available aggregated APIs' documents.
 */
async function openapiV3Extras(cluster: VirtualCluster): Promise<{ served: string[]; docs: Map<string, V3Document> }> {
  const docs = new Map<string, V3Document>();
  const served = [...cluster.servedGroupVersions];
  const { METRICS_OPENAPI_PATH, metricsOpenAPIV3 } = await import('./metrics/openapi.ts');
  if (served.includes(METRICS_OPENAPI_PATH.slice('apis/'.length))) docs.set(METRICS_OPENAPI_PATH, metricsOpenAPIV3());
  const aggregated = aggregatorOf(cluster)?.openapiV3();
  if (aggregated) {
    for (const [p, d] of aggregated.docs) docs.set(p, d);
    for (const gv of aggregated.groupVersions) if (!served.includes(gv)) served.push(gv);
  }
  return { served, docs };
}

/** The raw (still escaped) path below `/clusters/NAME`, as an aggregated API's server gets it. */
function rawClusterPath(pathname: string): string {
  if (!pathname.startsWith('/clusters/')) return pathname;
  const slash = pathname.indexOf('/', '/clusters/'.length);
  return slash < 0 ? '/' : pathname.slice(slash);
}

/** Split `/clusters/NAME/rest` into the cluster and the path within it; other paths are the admin API's. */
async function routeCluster(services: RequestServices, path: string, req: IncomingMessage): Promise<{ cluster: VirtualCluster; path: string }> {
  if (path.startsWith('/clusters/')) {
    const rest = path.slice('/clusters/'.length);
    const slash = rest.indexOf('/');
    const name = slash < 0 ? rest : rest.slice(0, slash);
    const cluster = await services.resolveCluster(name);
    return { cluster, path: slash < 0 ? '/' : rest.slice(slash) };
  }
  const owner = services.clusterOf?.(req);
  if (owner !== undefined) return { cluster: await services.resolveCluster(owner), path };
  return { cluster: services.admin, path };
}

/** The caller, as the cluster knows them: its own certificates and tokens only; impersonation applied. */
async function userOf(req: IncomingMessage, cluster: VirtualCluster): Promise<UserInfo | undefined | null> {
  const who = authenticate(req, cluster.tokens, cluster.certIssuer);
  if (!who || cluster.impersonate === undefined) return who;
  return cluster.impersonate(req, who);
}

async function handle(services: RequestServices, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://localhost');
  const { cluster, path } = await routeCluster(services, decodeURIComponent(url.pathname), req);
  const query = url.searchParams;
  const method = req.method ?? 'GET';
  const tokens = cluster.tokens;
  const who = await userOf(req, cluster);
  if (who === null || (who === undefined && !isPublicPath(path))) {
    req.resume();
    throw errors.unauthorized();
  }
  const user: UserInfo = who ?? anonymousUser;
  const info = parseRequestInfo(method, path, query);
  const authorizer = cluster.authorizer;
  const watch = info.kind === 'resource' && info.verb === 'watch';
  const release = admitRequest(cluster, watch);
  res.once('close', release);
  if (!watch) {
    const done = await services.dispatcher.acquire(cluster);
    if (res.closed) done();
    else res.once('close', done);
  }

  if (info.kind === 'nonresource') {
    const d = await authorizer.authorize(user, { verb: info.verb, path });
    if (!d.allowed) throw forbiddenError(user, { verb: info.verb, path }, d.reason);
    // Only OpenAPI paths need the served group/versions and the CRDs (both computed per call).
    if (path.startsWith('/openapi/')) {
      const v3 = path.startsWith('/openapi/v3') ? await openapiV3Extras(cluster) : undefined;
      if (serveOpenAPI(path, query, req, res, v3?.served ?? cluster.servedGroupVersions, { crds: cluster.crds(), extraV3: v3?.docs })) return;
    }
    if (cluster.nonResource && (await cluster.nonResource(path, req, res))) return;
    return serveNonResource(cluster, path, req, res);
  }
  if (info.kind === 'discovery') {
    if (method !== 'GET' && method !== 'HEAD') throw errors.methodNotAllowed(method, path);
    // Discovery is a non-resource read: allowed to authenticated users by system:discovery.
    const d = await authorizer.authorize(user, { verb: 'get', path });
    if (!d.allowed) throw forbiddenError(user, { verb: 'get', path }, d.reason);
    const agg = aggregatorOf(cluster);
    if (agg?.active && (await agg.serveDiscovery(info, req, res, user, rawClusterPath(url.pathname), query, services.serverAddress))) return;
    const doc = discoveryDocument(cluster.registry, info.prefix, info.group, info.version, req.headers.accept, services.serverAddress);
    return writeObject(res, 200, doc.body, 'json', { 'Content-Type': doc.contentType, Vary: 'Accept' });
  }
  // A group/version an APIService backed by a Service serves goes to its server (before the cluster's own resources).
  const aggregator = aggregatorOf(cluster);
  const backend = aggregator?.backend(info.group, info.version);
  const def = backend ? undefined : cluster.registry.find(info.group, info.version, info.resource);
  if (!def && !backend) {
    req.resume();
    throw errors.pathNotFound();
  }
  const attrs = {
    verb: info.verb, group: info.group, version: info.version, resource: info.resource,
    subresource: info.subresource, namespace: info.namespace, name: info.name,
  };
  const decision = await authorizer.authorize(user, attrs);
  if (!decision.allowed) {
    req.resume();
    throw forbiddenError(user, attrs, decision.reason);
  }
  if (backend) return aggregator!.proxy(backend, req, res, user, rawClusterPath(url.pathname), query);
  if (!def) throw errors.pathNotFound();
  // The Local APIServices are made when first asked for.
  if (def.group === 'apiregistration.k8s.io' && aggregator) await aggregator.ensureLocal();
  try {
    await protobufFor(req.headers['content-type'], req.headers.accept);
    await serveResource({ req, res, query, info, def, cluster, user, authorizer, tokens });
  } catch (e) {
    let encoding: 'json' | 'protobuf' = 'json';
    try { encoding = negotiate(req.headers.accept, false).encoding === 'protobuf' ? 'protobuf' : 'json'; } catch { /* keep json */ }
    writeError(res, e, encoding);
  }
}
