// The param objects a binding gives its policy (upstream's CollectParams),
// read from the cluster's watch cache:
//
// - no paramKind on the policy, or no paramRef on the binding: one
//   evaluation, `params` null;
// - paramRef.name: that object (in paramRef.namespace, or for a namespaced
//   paramKind without one, the request's namespace); paramRef.selector: every
//   object its labels select (all of them must admit the write);
// - nothing found: no evaluation (the write is admitted), unless
//   parameterNotFoundAction is Deny: a configuration error.
//
// A configuration error is thrown as ParamsError with upstream's text; the
// policy's failurePolicy decides what it does.

import type { KubeObject } from '../../../api/types.ts';
import { listPrefix, objectKey } from '../../../registry/generic/keys.ts';
import type { ResourceDef } from '../../../registry/types.ts';
import type { VirtualCluster } from '../../cluster.ts';
import type { ParamKind, ParamRef } from './compile.ts';

export class ParamsError extends Error {}

/** Go's GroupVersionKind.String(). */
export function gvkString(k: ParamKind): string {
  return `${k.group}/${k.version}, Kind=${k.kind}`;
}

/** The resource a paramKind names, or a configuration error (upstream's text) when the cluster serves none. */
export function paramResource(vc: VirtualCluster, kind: ParamKind): ResourceDef | ParamsError {
  const def = vc.registry.byGroupVersionKind(kind.group, kind.version, kind.kind);
  if (!def || def.virtual) return new ParamsError(`failed to find resource referenced by paramKind: '${gvkString(kind)}'`);
  return def;
}

/** The object as the param's version shows it, apiVersion and kind set. */
function shown(def: ResourceDef, kind: ParamKind, o: KubeObject): KubeObject {
  if (o.apiVersion === kind.apiVersion && o.kind === kind.kind) return o;
  if (def.conversion && o.apiVersion !== kind.apiVersion) return { ...def.conversion.convert(o, kind.apiVersion), kind: kind.kind };
  return { ...o, apiVersion: kind.apiVersion, kind: kind.kind };
}

/**
 * The params to evaluate the policy with: [null] when it takes none. `def` is
 * the paramKind's resource; `namespace` the request's ('' when none).
 */
export function collectParams(vc: VirtualCluster, kind: ParamKind | undefined, def: ResourceDef | undefined, ref: ParamRef | undefined,
  namespace: string): Array<KubeObject | null> {
  if (!kind || !def || !ref) return [null];
  let ns: string | undefined;
  if (def.scope === 'Namespaced') {
    ns = ref.namespace !== '' ? ref.namespace : namespace;
    if (ns === '') throw new ParamsError('cannot use namespaced paramRef in policy binding that matches cluster-scoped resources');
  } else if (ref.namespace !== '') {
    throw new ParamsError('paramRef.namespace must not be provided for a cluster-scoped `paramKind`');
  }
  let params: KubeObject[];
  if (ref.name !== '') {
    if (ref.selector !== undefined) throw new ParamsError('paramRef.name and paramRef.selector are mutually exclusive');
    const found = vc.cache.getCached(objectKey(def, ns, ref.name))?.obj;
    params = found ? [found] : [];
  } else if (ref.selector !== undefined) {
    const sel = ref.selector;
    if (sel instanceof Error) throw new ParamsError(sel.message);
    params = [];
    for (const c of vc.cache.scan(listPrefix(def, ns))) {
      if (sel.matches(c.obj.metadata.labels ?? {})) params.push(c.obj);
    }
  } else {
    throw new ParamsError('one of name or selector must be provided');
  }
  if (params.length === 0 && ref.parameterNotFoundAction === 'Deny') {
    throw new ParamsError('no params found for policy binding with `Deny` parameterNotFoundAction');
  }
  return params.map((p) => shown(def, kind, p));
}
