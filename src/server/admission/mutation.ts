// What mutating admission (webhooks and MutatingAdmissionPolicies) shares:
// the object a mutation is shown (a create without what the store sets after
// upstream's mutating admission), what a mutation may not change of the write
// (put back as the store has it), and the store's object changed in place.

import { errors } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import type { AdmissionRequest } from '../../registry/generic/admission.ts';
import { jsonEqual } from '../../registry/generic/metadata.ts';

/** What the store set on a new object after upstream's mutating admission: mutations see a create without them. */
const SERVER_SET_ON_CREATE = ['uid', 'creationTimestamp', 'generation'] as const;

/** The object a mutation is shown, in the request's version. */
export function mutationView(req: AdmissionRequest, obj: KubeObject): KubeObject {
  if (req.operation !== 'CREATE') return obj;
  const metadata = { ...obj.metadata };
  for (const k of SERVER_SET_ON_CREATE) delete metadata[k];
  // A generated name is chosen after mutating admission upstream.
  if (req.name === '' && metadata.generateName) delete metadata.name;
  return { ...obj, metadata };
}

/** What a patch may not change of the write (or what it dropped): put back as the store has it. */
export function keepIdentity(req: AdmissionRequest, obj: KubeObject, patched: KubeObject): void {
  const m = patched.metadata;
  const o = obj.metadata;
  patched.apiVersion = obj.apiVersion;
  patched.kind = obj.kind;
  if (req.def.scope === 'Namespaced') {
    if (m.namespace === undefined || m.namespace === '') m.namespace = req.namespace;
    else if (m.namespace !== req.namespace) throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  } else {
    delete m.namespace;
  }
  if (req.operation === 'CREATE') {
    for (const k of SERVER_SET_ON_CREATE) {
      if (o[k] === undefined) delete m[k];
      else (m as Record<string, unknown>)[k] = o[k];
    }
    if (!m.name && o.name) m.name = o.name;
    return;
  }
  for (const k of ['name', 'uid', 'creationTimestamp', 'resourceVersion'] as const) {
    if (o[k] === undefined) delete m[k];
    else (m as Record<string, unknown>)[k] = o[k];
  }
}

/** Makes `obj` (the store's) `patched`; false when nothing changes. */
export function replaceInPlace(obj: KubeObject, patched: KubeObject): boolean {
  if (jsonEqual(patched, obj)) return false;
  for (const k of Object.keys(obj)) delete (obj as Record<string, unknown>)[k];
  Object.assign(obj, patched);
  return true;
}
