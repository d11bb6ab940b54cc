// kubectl logs, exec, attach and port-forward on a synced virtual pod, passed
// through to the host pod it runs as: over the host API, with the syncer's
// host credentials, in the client's own protocol. The server has already
// authenticated the caller and authorized the request against the virtual
// cluster before these handlers run; what comes back names the virtual pod,
// never the host pod or namespace: refusals before a session opens, the
// host's own text inside one (streams-rewrite.ts), and what the host appends
// to a log that fails (streams-logs.ts).
//
// They replace, for a synced cluster, the handlers of server/pod-streams.ts
// (which serve simulated pods from their annotations).

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { errors } from '../api/errors.ts';
import type { KubeObject } from '../api/types.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import type { ResourceContext } from '../server/handlers/resource.ts';
import { selectContainer } from '../server/streaming/pod-config.ts';
import type { HostConnection, PodStreamSubresource, Upgraded } from './host/connection.ts';
import { virtualPodError, type PodPair } from './streams-errors.ts';
import { limitBytesOf, LogTailRewriter } from './streams-logs.ts';
import { rewordBytes, sessionRewrite } from './streams-rewrite.ts';
import { splice, upgradeHeaders } from './streams-splice.ts';
import { attachHostProxy, type ResolveHostService } from './streams-proxy.ts';

/** Where a virtual pod runs: the connection to its host, and its namespace and name there. */
export interface HostPod {
  readonly conn: HostConnection;
  readonly namespace: string;
  readonly name: string;
  /** The host pod's uid, when known: re-worded to the virtual pod's in what the host says. */
  readonly uid?: string;
}

/** The host pod of a virtual pod; undefined while it is not (yet) on the host. */
export type ResolveHostPod = (namespace: string, name: string) => HostPod | undefined;

export interface HostPodStreamOptions {
  /** Aborted when the server shuts down: open streams end. (Closing the cluster ends them too.) */
  readonly signal?: AbortSignal;
  /** The host Service of a virtual Service, for services/proxy (streams-proxy.ts); without it, services/proxy finds no endpoints. */
  readonly resolveService?: ResolveHostService;
}

/** The log query parameters the host gets; others are dropped. */
const LOG_PARAMS = ['container', 'follow', 'previous', 'sinceSeconds', 'sinceTime', 'tailLines', 'limitBytes', 'timestamps'] as const;

export function logQuery(query: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const name of LOG_PARAMS) for (const v of query.getAll(name)) out.append(name, v);
  return out;
}

/**
 * Serve `pods/log`, `pods/exec`, `pods/attach` and `pods/portforward` of `vc`
 * from the host pods `resolve` names, in place of the simulated handlers.
 */
export function attachHostPodStreams(vc: VirtualCluster, resolve: ResolveHostPod, opts: HostPodStreamOptions = {}): void {
  const podsDef = vc.registry.find('', 'v1', 'pods');
  if (!podsDef) return;
  // Open streams, each with the function that ends it: all end when the cluster closes.
  const open = new Set<() => void>();
  const endAll = (): void => { for (const end of [...open]) end(); };
  vc.whenClosed(endAll);
  opts.signal?.addEventListener('abort', endAll, { once: true });

  /** The virtual pod (404 naming it when absent) and, once it is on the host, where it runs. */
  const locate = async (namespace: string | undefined, name: string): Promise<{ pod: KubeObject; hosted: Hosted | undefined }> => {
    if (namespace === undefined) throw errors.pathNotFound();
    const pod = await vc.store.get(podsDef, namespace, name);
    const target = resolve(namespace, name);
    if (!target) return { pod, hosted: undefined };
    const pair: PodPair = { namespace, name, hostNamespace: target.namespace, hostName: target.name, uid: pod.metadata.uid, hostUid: target.uid };
    return { pod, hosted: { target, pair } };
  };

  vc.subresources.set('/pods/log', async (ctx) => {
    if (ctx.info.verb !== 'get') throw errors.methodNotAllowed(ctx.req.method ?? '', 'pods/log');
    const { pod, hosted } = await locate(ctx.info.namespace, ctx.info.name as string);
    if (!hosted) throw notRunningYet(pod, ctx.query);
    await relayLogs(ctx, hosted, open);
  });

  for (const sub of ['exec', 'attach', 'portforward'] as const) {
    vc.upgrades.set(`/pods/${sub}`, async (req, socket, head, t) => {
      // The HTTP server no longer listens for errors on an upgraded socket; a client gone meanwhile must not crash the process.
      socket.on('error', () => { /* its 'close' ends the session */ });
      const { hosted } = await locate(t.namespace, t.name);
      // As upstream for a pod no node runs yet.
      if (!hosted) throw errors.badRequest(`pod ${t.name} does not have a host assigned`);
      await relayUpgrade(req, socket, head, t.query, sub, hosted, open);
    });
  }
  // pods/proxy and services/proxy go to the host's.
  attachHostProxy(vc, resolve, opts.resolveService, { signal: opts.signal });
}

/** A virtual pod that runs on the host. */
interface Hosted {
  readonly target: HostPod;
  readonly pair: PodPair;
}

/** A log request for a pod the host does not run yet: the container is checked, then refused as the kubelet refuses one that has not started. */
function notRunningYet(pod: KubeObject, query: URLSearchParams): Error {
  const container = selectContainer(pod, query.get('container'));
  const statuses = (pod.status as { containerStatuses?: { name?: string; state?: { waiting?: { reason?: string } } }[] } | undefined)?.containerStatuses;
  const reason = statuses?.find((s) => s.name === container.name)?.state?.waiting?.reason || 'ContainerCreating';
  return errors.badRequest(`container "${container.name}" in pod "${pod.metadata.name ?? ''}" is waiting to start: ${reason}`);
}

async function relayLogs(ctx: ResourceContext, { target, pair }: Hosted, open: Set<() => void>): Promise<void> {
  const path = target.conn.podStreamPath(target.namespace, target.name, 'log');
  let body: IncomingMessage;
  try {
    body = await target.conn.stream('GET', path, { query: logQuery(ctx.query) });
  } catch (e) {
    throw virtualPodError(e, pair);
  }
  const res = ctx.res;
  if (res.destroyed) {
    body.destroy();
    return;
  }
  const type = body.headers['content-type'];
  res.writeHead(200, { 'Content-Type': typeof type === 'string' && type !== '' ? type : 'text/plain', 'Cache-Control': 'no-cache, private' });
  // A followed log may stay quiet for long: the client should see the 200 now.
  res.flushHeaders();
  // What the host appends to a log that fails names the host pod: re-worded on the way (streams-logs.ts).
  const tail = new LogTailRewriter({ rewrite: rewordBytes(pair), limitBytes: limitBytesOf(ctx.query) });
  await new Promise<void>((done) => {
    let stopping = false;
    const end = (): void => {
      // Shutdown ends a followed log as the end of the log, not as a failure.
      stopping = true;
      body.unpipe(tail);
      body.destroy();
      tail.release();
      tail.end();
    };
    open.add(end);
    body.on('error', () => { /* seen as an incomplete close below */ });
    body.on('close', () => {
      // The host connection broke mid-log: the client must not take what it got for the whole log.
      if (!body.complete && !stopping) res.destroy();
    });
    res.on('close', () => {
      open.delete(end);
      body.destroy();
      tail.destroy();
      done();
    });
    body.pipe(tail).pipe(res);
  });
}

async function relayUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, query: URLSearchParams, sub: Exclude<PodStreamSubresource, 'log'>,
  { target, pair }: Hosted, open: Set<() => void>): Promise<void> {
  let up: Upgraded;
  try {
    up = await target.conn.upgrade(target.conn.podStreamPath(target.namespace, target.name, sub), { query, headers: upgradeHeaders(req) });
  } catch (e) {
    // The server answers the client with this Status, as for its own pods.
    throw virtualPodError(e, pair);
  }
  await new Promise<void>((done) => {
    let cut: (() => void) | undefined;
    const end = (): void => cut?.();
    open.add(end);
    cut = splice(socket, head, up, () => {
      open.delete(end);
      done();
    }, sessionRewrite(up.response, sub, pair));
  });
}
