// The HTTPS server: authenticates each request, finds its virtual cluster
// (/clusters/NAME/... or the root), and hands it to discovery, the
// non-resource endpoints, or the resource handlers.

import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, errors } from '../api/errors.ts';
import type { Duplex } from 'node:stream';
import type { UserInfo } from '../registry/types.ts';
import { anonymousUser, authenticate, StaticTokens, type TokenAuthenticator } from './auth/authenticate.ts';
import { forbiddenMessage, isPublicPath, MastersAuthorizer, type Authorizer } from './auth/authorize.ts';
import { VirtualCluster } from './cluster.ts';
import { discoveryDocument } from './discovery.ts';
import { serveResource } from './handlers/resource.ts';
import { negotiate } from './http/negotiate.ts';
import { writeError, writeObject } from './http/respond.ts';
import { serveNonResource } from './nonresource.ts';
import { serveOpenAPI } from './openapi.ts';
import { attachPodStreams } from './pod-streams.ts';
import type { RunningServer, ServerOptions } from './options.ts';
import { parseRequestInfo } from './request-info.ts';
import { builtinRegistry } from '../registry/builtin.ts';
import { installCodecs, protobufFor } from './codecs.ts';

export interface RequestServices {
  clusters: Map<string, VirtualCluster>;
  defaultCluster: VirtualCluster;
  tokens: TokenAuthenticator[];
  authorizer: Authorizer;
  serverAddress: string;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  installCodecs();
  const registry = builtinRegistry();
  const cluster = await VirtualCluster.open(opts.clusterName, opts.store, registry);
  if (opts.dataDir) {
    const { setupServiceAccounts } = await import('./serviceaccounts/setup.ts');
    const sa = setupServiceAccounts(cluster, opts.dataDir);
    cluster.tokens.push(sa.authenticator);
    cluster.nonResource = sa.serveDiscovery;
  }
  const streamsClosed = new AbortController();
  attachPodStreams(cluster, { hostAccess: opts.podHostAccess ?? false, signal: streamsClosed.signal });
  const stopHook = opts.onClusterOpen?.(cluster);
  const services: RequestServices = {
    clusters: new Map([[opts.clusterName, cluster]]),
    defaultCluster: cluster,
    tokens: [new StaticTokens(opts.adminTokenHashes)],
    authorizer: new MastersAuthorizer(),
    serverAddress: '',
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
  // exec, attach and port-forward arrive as HTTP upgrades (WebSocket or SPDY).
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
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
        // Upgraded exec/port-forward sockets are not the HTTP server's: end them first, or close() waits on them.
        streamsClosed.abort();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        stopHook?.();
        for (const c of services.clusters.values()) await c.close();
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
  const { cluster, path } = routeCluster(services, decodeURIComponent(url.pathname));
  const who = authenticate(req, [...services.tokens, ...cluster.tokens]);
  if (!who) throw errors.unauthorized();
  const info = parseRequestInfo(req.method ?? 'GET', path, url.searchParams);
  if (info.kind !== 'resource' || info.name === undefined || info.subresource === undefined) throw errors.badRequest('only exec, attach and portforward can be upgraded');
  const handler = cluster.upgrades.get(`${info.group}/${info.resource}/${info.subresource}`);
  if (!handler) throw errors.badRequest(`the ${info.subresource} subresource of ${info.resource} cannot be upgraded`);
  // Upstream authorizes these connections as creates on the subresource.
  const attrs = { verb: 'create', group: info.group, version: info.version, resource: info.resource, subresource: info.subresource, namespace: info.namespace, name: info.name };
  const decision = await services.authorizer.authorize(who, attrs);
  if (!decision.allowed) throw errors.forbidden({ group: info.group, resource: info.resource }, info.name, forbiddenMessage(who, attrs));
  await handler(req, socket, head, { namespace: info.namespace, name: info.name, query: url.searchParams });
}

/** Split `/clusters/NAME/rest` into the cluster and the path within it. */
function routeCluster(services: RequestServices, path: string): { cluster: VirtualCluster; path: string } {
  if (path.startsWith('/clusters/')) {
    const rest = path.slice('/clusters/'.length);
    const slash = rest.indexOf('/');
    const name = slash < 0 ? rest : rest.slice(0, slash);
    const cluster = services.clusters.get(name);
    if (!cluster) throw errors.notFound({ group: 'kubevisor.dev', resource: 'virtualclusters' }, name);
    return { cluster, path: slash < 0 ? '/' : rest.slice(slash) };
  }
  return { cluster: services.defaultCluster, path };
}

async function handle(services: RequestServices, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://localhost');
  const { cluster, path } = routeCluster(services, decodeURIComponent(url.pathname));
  const query = url.searchParams;
  const method = req.method ?? 'GET';

  const tokens = cluster.tokens.length ? [...services.tokens, ...cluster.tokens] : services.tokens;
  const who = authenticate(req, tokens);
  if (who === null || (who === undefined && !isPublicPath(path))) {
    req.resume();
    throw errors.unauthorized();
  }
  const user: UserInfo = who ?? anonymousUser;
  const info = parseRequestInfo(method, path, query);

  if (info.kind === 'nonresource') {
    const d = await services.authorizer.authorize(user, { verb: info.verb, path });
    if (!d.allowed) throw errors.forbidden({ group: '', resource: '' }, '', forbiddenMessage(user, { verb: info.verb, path }).replace(/^forbidden: /, ''));
    // Only OpenAPI paths need the served group/versions and the CRDs (both computed per call).
    if (path.startsWith('/openapi/') && serveOpenAPI(path, query, req, res, cluster.servedGroupVersions, { crds: cluster.crds() })) return;
    if (cluster.nonResource && (await cluster.nonResource(path, req, res))) return;
    return serveNonResource(cluster, path, req, res);
  }
  if (info.kind === 'discovery') {
    if (method !== 'GET' && method !== 'HEAD') throw errors.methodNotAllowed(method, path);
    const doc = discoveryDocument(cluster.registry, info.prefix, info.group, info.version, req.headers.accept, services.serverAddress);
    return writeObject(res, 200, doc.body, 'json', { 'Content-Type': doc.contentType, Vary: 'Accept' });
  }
  const def = cluster.registry.find(info.group, info.version, info.resource);
  if (!def) {
    req.resume();
    throw errors.pathNotFound();
  }
  const attrs = {
    verb: info.verb, group: info.group, version: info.version, resource: info.resource,
    subresource: info.subresource, namespace: info.namespace, name: info.name,
  };
  const decision = await services.authorizer.authorize(user, attrs);
  if (!decision.allowed) {
    req.resume();
    throw errors.forbidden({ group: info.group, resource: info.resource }, info.name ?? '', forbiddenMessage(user, attrs));
  }
  try {
    await protobufFor(req.headers['content-type'], req.headers.accept);
    await serveResource({ req, res, query, info, def, cluster, user, authorizer: services.authorizer, tokens });
  } catch (e) {
    let encoding: 'json' | 'protobuf' = 'json';
    try { encoding = negotiate(req.headers.accept, false).encoding === 'protobuf' ? 'protobuf' : 'json'; } catch { /* keep json */ }
    writeError(res, e, encoding);
  }
}
