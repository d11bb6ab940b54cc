// Serving the writes of a resource: create, update, patch, delete and
// deletecollection. Loaded on the first write, so that a server that only
// answers reads never loads the body decoders, schemas and patch machinery.

import { errors } from '../../api/errors.ts';
import { isPlainObject, type KubeObject } from '../../api/types.ts';
import type { DeleteOptions } from '../../registry/generic/store.ts';
import { apiVersionOf, type ResourceDef } from '../../registry/types.ts';
import { readBody } from '../http/body.ts';
import { decodeApplyBody } from './apply-body.ts';
import { loadYaml } from '../../api/decode/yaml-lib.ts';
import { bodyFormat, objectBodyFormat, type Negotiated } from '../http/negotiate.ts';
import { writeObject } from '../http/respond.ts';
import { decodeObject, decodeRaw, parseFieldValidation } from './decode.ts';
import { admitCreate, admitDelete } from './admission.ts';
import { applyPatch, isPatchFormat } from './patch.ts';
import { buildPredicate } from './selectors.ts';
import { getScale, scaleToReplicas, scaleView, setReplicas } from './scale.ts';
import { managerName } from '../../api/managedfields/fieldmanager.ts';
import type { ResourceContext } from './resource.ts';
import { addWarnings } from './warnings.ts';

export { serveVirtual } from './reviews.ts';


function dryRun(q: URLSearchParams): boolean {
  const vals = q.getAll('dryRun');
  for (const v of vals) {
    if (v !== 'All') throw errors.badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return vals.length > 0;
}

/** The manager a write is recorded under: `fieldManager`, else derived from the User-Agent as upstream does. */
function managerOf(ctx: ResourceContext, required = false): string {
  return managerName(fieldManager(ctx.query, required), ctx.req.headers['user-agent']);
}

/**
 * The write's client, for admission: its user, where admission webhooks' warnings go
 * (Warning headers), and the options it gave itself (shown to webhooks).
 */
function client(ctx: ResourceContext): Pick<DeleteOptions, 'user' | 'warn' | 'sent'> {
  const q = ctx.query;
  return {
    user: ctx.user,
    warn: (text) => addWarnings(ctx.res, [text]),
    sent: { fieldManager: q.get('fieldManager') || undefined, fieldValidation: q.get('fieldValidation') || undefined },
  };
}

function fieldManager(q: URLSearchParams, required = false): string | undefined {
  const m = q.get('fieldManager') ?? undefined;
  if (m !== undefined && m.length > 128) throw errors.badRequest(`fieldManager: Too long: may not be more than 128 bytes`);
  if (required && !m) throw errors.badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
  return m;
}

async function readObjectBody(ctx: ResourceContext) {
  const format = objectBodyFormat(ctx.req.headers['content-type']);
  const body = await readBody(ctx.req);
  if (format === 'yaml') await loadYaml();
  if (format === undefined || isPatchFormat(format) || (ctx.def.custom && format === 'protobuf')) {
    throw errors.unsupportedMediaType(String(ctx.req.headers['content-type'] ?? ''), ctx.def.custom
      ? ['application/json', 'application/yaml']
      : ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
  }
  return decodeObject(ctx.def, ctx.info.namespace, body, format, parseFieldValidation(ctx.query.get('fieldValidation')));
}

export async function serveCreate(ctx: ResourceContext, neg: Negotiated): Promise<void> {
  const { cluster, def, info, query } = ctx;
  const dry = dryRun(query);
  const manager = managerOf(ctx);
  const { obj, warnings } = await readObjectBody(ctx);
  addWarnings(ctx.res, warnings);
  if (info.name !== undefined && info.subresource === undefined) {
    throw errors.methodNotAllowed('POST', `a named ${def.kind}`);
  }
  if (!obj.metadata.name && !obj.metadata.generateName) {
    throw errors.invalid(def, '', [{ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' }]);
  }
  await admitCreate(cluster, def, info.namespace, obj);
  const created = await cluster.store.create(def, info.namespace, obj, { dryRun: dry, fieldManager: manager, ...client(ctx) });
  writeObject(ctx.res, 201, created, neg.encoding);
}

export async function serveUpdate(ctx: ResourceContext, neg: Negotiated): Promise<void> {
  const { cluster, def, info, query } = ctx;
  const dry = dryRun(query);
  const manager = managerOf(ctx);
  const name = info.name as string;
  if (info.subresource === 'scale') {
    const { obj: scale } = await readScaleBody(ctx);
    const out = await updateScale(ctx, scale, dry, manager);
    return writeObject(ctx.res, 200, out, neg.encoding);
  }
  const { obj, warnings } = await readObjectBody(ctx);
  addWarnings(ctx.res, warnings);
  const allowCreate = info.subresource === undefined && createOnUpdate(def);
  if (allowCreate && !cluster.store.peek(def, info.namespace, name)) await admitCreate(cluster, def, info.namespace, obj);
  const r = await cluster.store.update(def, info.namespace, name, obj, {
    dryRun: dry, fieldManager: manager, subresource: writeSubresource(info.subresource), allowCreate, ...client(ctx),
  });
  writeObject(ctx.res, r.created ? 201 : 200, r.obj, neg.encoding);
}

/** The subresource a write goes to in the store (scale is served apart): status, finalize, or one the kind's strategy declares. */
function writeSubresource(sub: string | undefined): string | undefined {
  return sub;
}

/** Kinds whose PUT creates a missing object, as upstream's strategies allow. */
function createOnUpdate(def: ResourceDef): boolean {
  return (def.group === '' && (def.plural === 'endpoints' || def.plural === 'events')) ||
    (def.group === 'coordination.k8s.io' && def.plural === 'leases') ||
    (def.group === 'events.k8s.io');
}

async function readScaleBody(ctx: ResourceContext): Promise<{ obj: KubeObject }> {
  const format = objectBodyFormat(ctx.req.headers['content-type']);
  const body = await readBody(ctx.req);
  if (format === undefined || isPatchFormat(format)) throw errors.unsupportedMediaType('', ['application/json']);
  if (format === 'yaml') await loadYaml();
  const raw = decodeRaw(body, format) as KubeObject;
  if (raw.metadata === undefined) raw.metadata = {};
  return { obj: raw };
}

async function updateScale(ctx: ResourceContext, scale: KubeObject, dry: boolean, manager: string): Promise<KubeObject> {
  const { cluster, def, info } = ctx;
  const replicas = scaleToReplicas(def, scale);
  const r = await cluster.store.guaranteedUpdate(def, info.namespace, info.name as string, (cur) => {
    const obj = cur as KubeObject;
    const rv = scale.metadata.resourceVersion;
    if (rv) obj.metadata.resourceVersion = rv;
    setReplicas(def, obj, replicas);
    return obj;
  }, { dryRun: dry, fieldManager: manager, view: scaleView(def), ...client(ctx) });
  return getScale(def, r.obj);
}

export async function servePatch(ctx: ResourceContext, neg: Negotiated): Promise<void> {
  const { cluster, def, info, query, req } = ctx;
  const format = bodyFormat(req.headers['content-type']);
  // Custom resources have no patch strategies: strategic merge patch is refused, as upstream does.
  if (format === undefined || !isPatchFormat(format) || (def.custom && format === 'strategic-merge-patch')) {
    throw errors.unsupportedMediaType(String(req.headers['content-type'] ?? ''), def.custom
      ? ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']
      : ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml', 'application/strategic-merge-patch+json']);
  }
  const dry = dryRun(query);
  const manager = managerOf(ctx, format === 'apply-patch');
  const validation = parseFieldValidation(query.get('fieldValidation'));
  let raw: string | Buffer = await readBody(req);
  const name = info.name as string;

  if (info.subresource === 'scale') {
    const r = await cluster.store.guaranteedUpdate(def, info.namespace, name, (cur) => {
      const obj = cur as KubeObject;
      const scaleFormat = format === 'json-patch' ? 'json-patch' : 'merge-patch';
      const { obj: scale } = applyPatch(def, scaleFormat, getScale(def, obj), raw, 'Ignore', { group: 'autoscaling', version: 'v1', kind: 'Scale' });
      const rv = scale.metadata.resourceVersion;
      if (rv && rv !== obj.metadata.resourceVersion) obj.metadata.resourceVersion = rv;
      setReplicas(def, obj, scaleToReplicas(def, scale));
      return obj;
    }, { dryRun: dry, fieldManager: manager, view: scaleView(def), ...client(ctx) });
    return writeObject(ctx.res, 200, getScale(def, r.obj), neg.encoding);
  }

  if (format === 'apply-patch') {
    // Server-side apply: the body is the manager's whole intent; unknown fields and wrong
    // types are caught as for any body first, then ownership decides the merge.
    const applied = requireApplyConfig(def, name, await decodeApplyBody(raw));
    const { obj: config, warnings } = decodeObject(def, info.namespace, Buffer.from(JSON.stringify(applied)), 'json', validation);
    addWarnings(ctx.res, warnings);
    const force = query.get('force') === 'true';
    const subresource = writeSubresource(info.subresource);
    const schema = def.schema?.();
    if (!schema) throw errors.internal(`no schema for ${def.kind}: server-side apply is not possible`);
    const { serverSideApply, withManagedFields, statusResetFields, specResetFields } = await import('../../api/managedfields/index.ts');
    const hasStatusSub = def.subresources?.some((s) => s.name === 'status') ?? false;
    if (!cluster.store.peek(def, info.namespace, name)) await admitCreate(cluster, def, info.namespace, config);
    let created = false;
    const r = await cluster.store.guaranteedUpdate(def, info.namespace, name, (cur) => {
      const res = serverSideApply({
        live: cur, applied: config as never, manager, force, group: def.group, version: def.version, kind: def.kind,
        subresource, schema, now: new Date(), name, namespace: info.namespace, resource: { group: def.group, resource: def.plural },
        custom: def.custom !== undefined, resetFields: subresource === 'status' ? specResetFields : hasStatusSub ? statusResetFields : undefined,
      });
      created = res.created;
      return withManagedFields(res.object, res.managedFields);
    }, { allowCreate: true, dryRun: dry, fieldManager: manager, managedFields: 'given', subresource, ...client(ctx) });
    return writeObject(ctx.res, created || r.created ? 201 : 200, r.obj, neg.encoding);
  }

  const r = await cluster.store.guaranteedUpdate(def, info.namespace, name, (cur) => {
    const patched = applyPatch(def, format, cur as KubeObject, raw, validation);
    addWarnings(ctx.res, patched.warnings);
    // The patched object passes the same body checks as a PUT (unknown fields are already handled).
    return decodeObject(def, info.namespace, Buffer.from(JSON.stringify(patched.obj)), 'json', 'Ignore', 'patch').obj;
  }, { dryRun: dry, fieldManager: manager, subresource: writeSubresource(info.subresource), ...client(ctx) });
  writeObject(ctx.res, 200, r.obj, neg.encoding);
}

/** An apply configuration must name the kind of the URL and the object of the URL. */
function requireApplyConfig(def: ResourceDef, name: string, v: unknown): KubeObject {
  if (!isPlainObject(v)) throw errors.badRequest('the apply configuration must be an object');
  const applied = v as KubeObject;
  const want = apiVersionOf(def);
  if (applied.apiVersion !== want || applied.kind !== def.kind) {
    throw errors.badRequest(`the apply configuration must set apiVersion "${want}" and kind "${def.kind}"`);
  }
  const meta = (isPlainObject(applied.metadata) ? applied.metadata : {}) as KubeObject['metadata'];
  if (meta.name !== undefined && meta.name !== name) {
    throw errors.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
  }
  return applied;
}

async function readDeleteOptions(ctx: ResourceContext): Promise<DeleteOptions> {
  const q = ctx.query;
  const opts: DeleteOptions = { dryRun: dryRun(q), ...client(ctx) };
  const body = await readBody(ctx.req);
  if (body.length > 0) {
    const format = bodyFormat(ctx.req.headers['content-type']) ?? 'json';
    if (isPatchFormat(format)) throw errors.unsupportedMediaType(format, ['application/json']);
    if (format === 'yaml') await loadYaml();
    const raw = decodeRaw(body, format) as Record<string, unknown>;
    if (raw.kind !== undefined && raw.kind !== 'DeleteOptions') {
      throw errors.badRequest(`the body of a delete must be DeleteOptions, not ${String(raw.kind)}`);
    }
    Object.assign(opts, deleteOptionsFrom(raw));
    if (Array.isArray(raw.dryRun) && raw.dryRun.length > 0) opts.dryRun = true;
  }
  const g = q.get('gracePeriodSeconds');
  if (g !== null && g !== '') opts.gracePeriodSeconds = parseIntParam('gracePeriodSeconds', g);
  const p = q.get('propagationPolicy');
  if (p !== null && p !== '') opts.propagationPolicy = policy(p);
  const orphan = q.get('orphanDependents');
  if (orphan !== null && opts.propagationPolicy === undefined) opts.propagationPolicy = orphan === 'true' ? 'Orphan' : 'Background';
  return opts;
}

function deleteOptionsFrom(raw: Record<string, unknown>): DeleteOptions {
  const out: DeleteOptions = {};
  if (raw.gracePeriodSeconds !== undefined && raw.gracePeriodSeconds !== null) {
    if (typeof raw.gracePeriodSeconds !== 'number' || !Number.isInteger(raw.gracePeriodSeconds)) {
      throw errors.badRequest('gracePeriodSeconds must be an integer');
    }
    out.gracePeriodSeconds = raw.gracePeriodSeconds;
  }
  if (raw.propagationPolicy !== undefined && raw.propagationPolicy !== null) out.propagationPolicy = policy(String(raw.propagationPolicy));
  else if (raw.orphanDependents === true) out.propagationPolicy = 'Orphan';
  if (isPlainObject(raw.preconditions)) {
    const p = raw.preconditions;
    out.preconditions = {
      uid: typeof p.uid === 'string' ? p.uid : undefined,
      resourceVersion: typeof p.resourceVersion === 'string' ? p.resourceVersion : undefined,
    };
  }
  return out;
}

function policy(p: string): 'Orphan' | 'Background' | 'Foreground' {
  if (p === 'Orphan' || p === 'Background' || p === 'Foreground') return p;
  throw errors.badRequest(`propagationPolicy: Unsupported value: "${p}": supported values: "Foreground", "Background", "Orphan"`);
}

function parseIntParam(name: string, v: string): number {
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`${name}: Invalid value: "${v}": must be an integer`);
  return Number(v);
}

export async function serveDelete(ctx: ResourceContext, neg: Negotiated): Promise<void> {
  const { cluster, def, info } = ctx;
  const opts = await readDeleteOptions(ctx);
  const name = info.name as string;
  admitDelete(def, name);
  const r = await cluster.store.delete(def, info.namespace, name, opts);
  if (!r.deleted) return writeObject(ctx.res, 200, r.obj, neg.encoding);
  const details: Record<string, unknown> = { name, kind: def.plural, uid: r.obj.metadata.uid };
  if (def.group) details.group = def.group;
  writeObject(ctx.res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details }, neg.encoding);
}

export async function serveDeleteCollection(ctx: ResourceContext, neg: Negotiated): Promise<void> {
  const { cluster, def, info, query } = ctx;
  const opts = await readDeleteOptions(ctx);
  const predicate = buildPredicate(def, query.get('labelSelector'), query.get('fieldSelector'));
  if (def.group === '' && def.plural === 'namespaces') throw errors.methodNotAllowed('DELETE', 'the namespaces collection');
  const deleted = await cluster.store.deleteCollection(def, info.namespace, { predicate }, opts);
  const list = cluster.store.toList(def, { items: deleted, resourceVersion: String(cluster.cache.revision) });
  writeObject(ctx.res, 200, list, neg.encoding);
}
