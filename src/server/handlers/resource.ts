// Serving one resource request: every verb of every declared resource goes
// through here to the generic store. Reads are served here; writes in write.ts.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, ApiError } from '../../api/errors.ts';
import type { ResourceDef, UserInfo } from '../../registry/types.ts';
import type { VirtualCluster } from '../cluster.ts';
import { loadYaml } from '../../api/decode/yaml-lib.ts';
import { negotiate, type Negotiated } from '../http/negotiate.ts';
import { writeObject } from '../http/respond.ts';
import type { ResourceRequest } from '../request-info.ts';
import { buildPredicate } from './selectors.ts';
import { shapeList, shapeObject, type IncludeObject } from './table.ts';
import { getScale } from './scale.ts';
import { serveWatch } from './watch.ts';
import { addWarnings, versionWarnings } from './warnings.ts';
import { admitConnect } from '../admission/connect.ts';
import type { Authorizer } from '../auth/authorize.ts';
import type { TokenAuthenticator } from '../auth/authenticate.ts';

export interface ResourceContext {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  info: ResourceRequest;
  def: ResourceDef;
  cluster: VirtualCluster;
  user: UserInfo;
  authorizer: Authorizer;
  /** Bearer token authenticators, for TokenReview. */
  tokens: TokenAuthenticator[];
}

// The write handlers load with the first write; the module is kept, not looked up per request.
let writeModule: Promise<typeof import('./write.ts')> | undefined;
function writes(): Promise<typeof import('./write.ts')> {
  writeModule ??= import('./write.ts');
  return writeModule;
}

/** The subresources served by the generic store (besides those a kind's strategy declares writes for). */
const storeSubresources = new Set(['status', 'scale', 'finalize']);

/** Whether the kind's strategy declares how a write to this subresource changes the object (a pod's ephemeralcontainers). */
async function strategySubresource(def: ResourceDef, name: string): Promise<boolean> {
  await def.loadBehaviour?.();
  return def.strategy.subresourceWrites?.[name] !== undefined;
}

export async function serveResource(ctx: ResourceContext): Promise<void> {
  const { info, def, req } = ctx;
  const isRead = info.verb === 'get' || info.verb === 'list' || info.verb === 'watch';
  // A cluster may serve subresources its resource declarations do not list (the admin API's), in media types of their own.
  const handler = info.subresource !== undefined ? ctx.cluster.subresources.get(`${def.group}/${def.plural}/${info.subresource}`) : undefined;
  let neg: Negotiated;
  try {
    neg = negotiate(req.headers.accept, isRead && info.subresource === undefined);
  } catch (e) {
    if (!handler) throw e;
    neg = negotiate(undefined, false);
  }
  if (neg.encoding === 'yaml') await loadYaml();
  if (neg.shape.kind === 'table') await def.loadBehaviour?.();
  if (def.scope === 'Cluster' && info.namespace !== undefined) throw errors.pathNotFound();
  if (def.scope === 'Namespaced' && info.namespace === undefined && !['list', 'watch', 'create'].includes(info.verb)) {
    throw errors.pathNotFound();
  }
  if (def.scope === 'Namespaced' && info.namespace === undefined && info.verb === 'create' && !def.virtual) {
    throw errors.pathNotFound();
  }
  // A deprecated version of a custom resource warns on every request it serves (subresources and errors included), as upstream does.
  addWarnings(ctx.res, versionWarnings(ctx.cluster, def));
  if (info.subresource !== undefined) {
    // A connect request (proxy over plain HTTP) passes admission (CONNECT) first; upgrades do in server.ts.
    await admitConnect(ctx.cluster, { def, info, req, user: ctx.user, warn: (text) => addWarnings(ctx.res, [text]) });
    if (handler) return handler(ctx, neg);
    const sub = def.subresources?.find((s) => s.name === info.subresource);
    if (!sub) throw errors.pathNotFound();
    if (!storeSubresources.has(sub.name) && !(await strategySubresource(def, sub.name))) {
      throw new ApiError(405, 'MethodNotAllowed', `the ${sub.name} subresource of ${def.plural} is not available yet in kubevisor`);
    }
    if (!(sub.verbs as string[]).includes(info.verb)) throw errors.methodNotAllowed(req.method ?? '', `${def.plural}/${sub.name}`);
  } else if (!(def.verbs as string[]).includes(info.verb)) {
    throw errors.methodNotAllowed(req.method ?? '', `the resource ${def.plural}`);
  }
  if (def.virtual) {
    // Reads of a virtual resource the cluster answers itself (the Metrics API), by "<group>/<resource>".
    const reader = info.verb === 'get' || info.verb === 'list' ? ctx.cluster.subresources.get(`${def.group}/${def.plural}`) : undefined;
    if (reader) return reader(ctx, neg);
    if (info.verb !== 'create') throw errors.methodNotAllowed(req.method ?? '', def.plural);
    return (await writes()).serveVirtual(ctx, neg);
  }
  switch (info.verb) {
    case 'get': return serveGet(ctx, neg);
    case 'list': return serveList(ctx, neg);
    case 'watch': return serveWatch(ctx, neg);
    case 'create': return (await writes()).serveCreate(ctx, neg);
    case 'update': return (await writes()).serveUpdate(ctx, neg);
    case 'patch': return (await writes()).servePatch(ctx, neg);
    case 'delete': return (await writes()).serveDelete(ctx, neg);
    case 'deletecollection': return (await writes()).serveDeleteCollection(ctx, neg);
  }
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  if (v === null || v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'None' || v === 'Object') return v;
  throw errors.badRequest(`includeObject: Unsupported value: "${v}": supported values: "None", "Metadata", "Object"`);
}

async function serveGet(ctx: ResourceContext, neg: Negotiated): Promise<void> {
  const { cluster, def, info, query } = ctx;
  const obj = await cluster.store.get(def, info.namespace, info.name as string, query.get('resourceVersion') ?? undefined);
  if (info.subresource === 'scale') {
    return writeObject(ctx.res, 200, getScale(def, obj), neg.encoding);
  }
  writeObject(ctx.res, 200, shapeObject(def, obj, neg.shape, includeObject(query)), neg.encoding);
}

function listOptions(ctx: ResourceContext) {
  const q = ctx.query;
  const limitRaw = q.get('limit');
  let limit: number | undefined;
  if (limitRaw !== null && limitRaw !== '') {
    if (!/^-?\d+$/.test(limitRaw)) throw errors.badRequest(`limit: Invalid value: "${limitRaw}": must be an integer`);
    limit = Number(limitRaw);
  }
  const match = q.get('resourceVersionMatch') ?? undefined;
  if (match !== undefined && match !== '' && match !== 'NotOlderThan' && match !== 'Exact') {
    throw errors.badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
  }
  if (match && !q.get('resourceVersion') && !q.get('continue')) {
    throw errors.badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
  }
  return {
    predicate: buildPredicate(ctx.def, q.get('labelSelector'), q.get('fieldSelector')),
    limit,
    continueToken: q.get('continue') || undefined,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    resourceVersionMatch: (match || undefined) as 'NotOlderThan' | 'Exact' | undefined,
  };
}

async function serveList(ctx: ResourceContext, neg: Negotiated): Promise<void> {
  const { cluster, def, info } = ctx;
  const result = await cluster.store.list(def, info.namespace, listOptions(ctx));
  const full = cluster.store.toList(def, result);
  writeObject(ctx.res, 200, shapeList(def, { metadata: full.metadata as Record<string, unknown>, items: result.items }, full, neg.shape, includeObject(ctx.query)), neg.encoding);
}
