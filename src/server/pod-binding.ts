// Binding a pod to a node over the API: POST pods/NAME/binding and the older
// POST namespaces/NS/bindings, as kube-apiserver serves them (the v1.36 API:
// binding labels are copied and status.nominatedNodeName is cleared). One
// compare-and-swap write of the stored pod that sets spec.nodeName (which a pod
// update may not change), merges the Binding's annotations and labels and sets
// PodScheduled=True; the pod's validation, generation and field ownership are
// not involved, as upstream's binding storage bypasses them. A custom
// scheduler binds through here; the built-in one through
// controllers/scheduler/bind.ts.

import { ApiError, errors, type GroupResource, type Status } from '../api/errors.ts';
import { isPlainObject, type KubeObject } from '../api/types.ts';
import { loadYaml } from '../api/decode/yaml-lib.ts';
import { isPathSegmentName } from '../api/validation/names.ts';
import { withPodCondition, type PodSpec, type PodStatus } from '../nodes/api.ts';
import { objectKey } from '../registry/generic/keys.ts';
import { nowTimestamp } from '../registry/generic/metadata.ts';
import type { ResourceDef } from '../registry/types.ts';
import type { SubresourceHandler, VirtualCluster } from './cluster.ts';
import { admitSubresourceCreate } from './admission/subresource-create.ts';
import { admitCreate } from './handlers/admission.ts';
import { decodeObject, parseFieldValidation } from './handlers/decode.ts';
import { isPatchFormat } from './handlers/patch.ts';
import { addWarnings } from './handlers/warnings.ts';
import type { ResourceContext } from './handlers/resource.ts';
import { readBody } from './http/body.ts';
import { objectBodyFormat, type Negotiated } from './http/negotiate.ts';
import { writeObject } from './http/respond.ts';

/** The labels the PodTopologyLabels admission plugin copies from the target node onto a pods/binding Binding. */
const topologyLabels = ['topology.kubernetes.io/zone', 'topology.kubernetes.io/region'];

const pods: GroupResource = { group: '', resource: 'pods' };
const podsBinding: GroupResource = { group: '', resource: 'pods/binding' };

/**
 * An error upstream returns without converting it to a Status (a plain Go error): 500,
 * Failure, the error's text and no reason. ValidatePodBinding's errors reach the client so.
 */
class UnconvertedError extends ApiError {
  constructor(message: string) { super(500, 'InternalError', message); }
  override toStatus(): Status {
    const { reason: _r, ...s } = super.toStatus();
    return s;
  }
}

/** What a binding asks for, after decoding, checks and admission. */
export interface BindRequest {
  namespace: string;
  /** The pod's name. */
  name: string;
  node: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  /** Preconditions (pods/binding only: the legacy resource drops the Binding's uid and resourceVersion). */
  uid?: string;
  resourceVersion?: string;
  dryRun: boolean;
}

/** Serve pods/binding and the legacy bindings resource for `vc`. */
export function attachPodBinding(vc: VirtualCluster): void {
  const handler: SubresourceHandler = (ctx, neg) => serveBinding(vc, ctx, neg);
  vc.subresources.set('/pods/binding', handler);
  // A virtual resource the cluster answers itself is looked up by "<group>/<resource>" (handlers/reviews.ts).
  vc.subresources.set('/bindings', handler);
}

function dryRunOf(q: URLSearchParams): boolean {
  const vals = q.getAll('dryRun');
  for (const v of vals) {
    if (v !== 'All') throw errors.badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return vals.length > 0;
}

function stringMap(v: unknown): Record<string, string> {
  if (!isPlainObject(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

async function serveBinding(vc: VirtualCluster, ctx: ResourceContext, neg: Negotiated): Promise<void> {
  const { info, req, query } = ctx;
  const legacy = info.subresource === undefined;
  const what = legacy ? 'bindings' : 'pods/binding';
  if (info.verb !== 'create') throw errors.methodNotAllowed(req.method ?? '', what);
  if (info.namespace === undefined) throw errors.pathNotFound();
  const namespace = info.namespace;
  const bindingsDef = vc.registry.find('', 'v1', 'bindings');
  const podsDef = vc.registry.find('', 'v1', 'pods');
  if (!bindingsDef || !podsDef) throw errors.pathNotFound();
  const dryRun = dryRunOf(query);
  const manager = query.get('fieldManager');
  if (manager !== null && manager.length > 128) throw errors.badRequest('fieldManager: Too long: may not be more than 128 bytes');

  // No Content-Type (kubectl create --raw sends none) is JSON, the first type upstream decodes.
  const format = objectBodyFormat(req.headers['content-type']);
  const body = await readBody(req);
  if (format === undefined || isPatchFormat(format)) {
    throw errors.unsupportedMediaType(String(req.headers['content-type'] ?? ''), ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
  }
  if (format === 'yaml') await loadYaml();
  const { obj: binding, warnings } = decodeObject(bindingsDef, namespace, body, format, parseFieldValidation(query.get('fieldValidation')));
  addWarnings(ctx.res, warnings);

  // The legacy resource binds the pod the Binding names; the subresource, the pod in the URL.
  const name = legacy ? (binding.metadata.name ?? '') : (info.name as string);
  // Admission first (upstream's mutating plugins run before the binding storage looks at the
  // Binding): namespace lifecycle, then webhooks and policies, which may change the Binding.
  await admitCreate(vc, ctx.def, namespace, { ...binding, metadata: { ...binding.metadata, name } });
  await admitSubresourceCreate(vc, ctx, { kind: { group: '', version: 'v1', kind: 'Binding' }, object: binding, name, dryRun });
  const meta = binding.metadata ?? {};
  const target = isPlainObject(binding.target) ? binding.target : {};
  const kind = typeof target.kind === 'string' ? target.kind : '';
  const node = typeof target.name === 'string' ? target.name : '';
  const labels = stringMap(meta.labels);
  if (!legacy && kind === 'Node') {
    // PodTopologyLabels: the target node's topology labels go onto the Binding (a missing node adds none).
    const nodesDef = vc.registry.find('', 'v1', 'nodes');
    const nodeLabels = nodesDef ? (vc.store.peek(nodesDef, undefined, node)?.metadata.labels ?? {}) : {};
    for (const k of topologyLabels) if (nodeLabels[k] !== undefined) labels[k] = nodeLabels[k];
  }

  if (!legacy && meta.name !== name) throw errors.badRequest('name in URL does not match name in Binding object');
  // Upstream returns these as a plain error, which reaches the client as a 500.
  const problems: string[] = [];
  if (kind !== '' && kind !== 'Node') problems.push(`target.kind: Unsupported value: ${JSON.stringify(kind)}: supported values: "Node", "<empty>"`);
  if (node === '') problems.push('target.name: Required value');
  if (problems.length > 0) throw new UnconvertedError(problems.length === 1 ? problems[0]! : `[${problems.join(', ')}]`);

  // The storage key names the pod: an empty or unusable name is refused as upstream's key function refuses it.
  if (name === '') throw errors.badRequest('Name parameter required.');
  const bad = isPathSegmentName(name);
  if (bad.length > 0) throw errors.badRequest(`Name parameter invalid: ${JSON.stringify(name)}: ${bad.join(';')}`);

  await bindPodAsRequested(vc, podsDef, {
    namespace, name, node, annotations: stringMap(meta.annotations), labels, dryRun,
    // Only the subresource keeps the request's uid and resourceVersion, as preconditions.
    uid: legacy ? undefined : (meta.uid || undefined),
    resourceVersion: legacy ? undefined : (meta.resourceVersion || undefined),
  });
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  writeObject(ctx.res, 201, status, neg.encoding);
}

/**
 * Bind the pod as the binding storage does: 404 when it is missing; 409 on `pods` when a
 * precondition fails; 409 on `pods/binding` when it is being deleted, already bound or
 * gated. Returns the bound pod (as it would be, for a dry run).
 */
export async function bindPodAsRequested(vc: VirtualCluster, podDef: ResourceDef, r: BindRequest, now?: Date): Promise<KubeObject> {
  const key = objectKey(podDef, r.namespace, r.name);
  // Upstream's storage error text names the key as etcd holds it.
  const storageError = (msg: string) => `StorageError: invalid object, Code: 4, Key: /registry/pods/${r.namespace}/${r.name}, ResourceVersion: 0, AdditionalErrorMsg: ${msg}`;
  for (let attempt = 0; ; attempt++) {
    await vc.cache.sync();
    const cur = vc.cache.getCached(key);
    if (!cur) throw errors.notFound(pods, r.name);
    const meta = cur.obj.metadata;
    if (r.uid !== undefined && r.uid !== meta.uid) {
      throw errors.conflict(pods, r.name, storageError(`Precondition failed: UID in precondition: ${r.uid}, UID in object meta: ${meta.uid ?? ''}`));
    }
    if (r.resourceVersion !== undefined && r.resourceVersion !== meta.resourceVersion) {
      throw errors.conflict(pods, r.name, storageError(
        `Precondition failed: ResourceVersion in precondition: ${r.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion ?? ''}`));
    }
    const podName = meta.name ?? r.name;
    if (meta.deletionTimestamp) throw errors.conflict(podsBinding, r.name, `pod ${podName} is being deleted, cannot be assigned to a host`);
    const spec = (cur.obj.spec ?? {}) as PodSpec;
    if (spec.nodeName) throw errors.conflict(podsBinding, r.name, `pod ${podName} is already assigned to node ${JSON.stringify(spec.nodeName)}`);
    if ((spec.schedulingGates ?? []).length > 0) throw errors.conflict(podsBinding, r.name, `pod ${podName} has non-empty .spec.schedulingGates`);

    // A new object along the paths the binding changes; the rest is shared with the cached
    // pod, which nothing here writes to.
    const { resourceVersion: _rv, ...metadata } = meta;
    metadata.annotations = { ...(meta.annotations ?? {}), ...r.annotations };
    if (Object.keys(r.labels).length > 0) metadata.labels = { ...(meta.labels ?? {}), ...r.labels };
    const { nominatedNodeName: _n, ...rest } = (cur.obj.status ?? {}) as PodStatus;
    const status: PodStatus = { ...rest };
    status.conditions = withPodCondition(status.conditions, { type: 'PodScheduled', status: 'True' }, nowTimestamp(now));
    const next: KubeObject = { ...cur.obj, metadata, spec: { ...spec, nodeName: r.node }, status };
    if (r.dryRun) return { ...next, metadata: { ...metadata, resourceVersion: meta.resourceVersion } };

    const text = JSON.stringify(next);
    // The cache takes `next` as it is, when the write comes back from the store.
    vc.cache.adopt(key, text, next);
    const res = await vc.kv.update(key, text, cur.modRevision);
    if (!res.succeeded) {
      if (attempt < 8) continue;
      throw errors.conflict(pods, r.name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    await vc.cache.waitForRevision(res.revision);
    return vc.cache.getCached(key)?.obj ?? next;
  }
}
