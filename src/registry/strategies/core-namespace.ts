// core/v1 Namespace: the kubernetes finalizer and the metadata.name label on
// create, phase Active, DNS-label names, and spec.finalizers kept on update
// (they change through the finalize subresource).

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { getObject, getStringArray, isObj } from '../../api/validation/json.ts';
import { isQualifiedName, nameIsDNSLabel } from '../../api/validation/names.ts';
import { validateKubeFinalizerName } from '../../api/validation/objectmeta.ts';
import type { Strategy } from '../types.ts';
import { asObj, ensureGeneratedName, field, keepStatus, metaOf, validateMeta, validateMetaUpdate } from './common.ts';
import { deepCopy } from '../../api/json-copy.ts';

export const namespaceNameLabel = 'kubernetes.io/metadata.name';

function defaults(obj: KubeObject): void {
  const meta = metaOf(obj);
  const name = typeof meta.name === 'string' ? meta.name : '';
  if (name.length > 0 && isObj(asObj(obj).metadata)) {
    if (meta.labels === undefined || meta.labels === null) meta.labels = {};
    if (isObj(meta.labels)) meta.labels[namespaceNameLabel] = name;
  }
  const status = field(obj, 'status');
  if (status && (status.phase === undefined || status.phase === null || status.phase === '')) status.phase = 'Active';
}

function prepareForCreate(obj: KubeObject): void {
  obj.status = { phase: 'Active' };
  ensureGeneratedName(obj);
  const spec = field(obj, 'spec');
  if (!spec) return;
  const finalizers = Array.isArray(spec.finalizers) ? spec.finalizers : [];
  if (!finalizers.includes('kubernetes')) spec.finalizers = [...finalizers, 'kubernetes'];
}

function prepareForUpdate(obj: KubeObject, old: KubeObject): void {
  keepStatus(obj, old);
  const oldSpec = asObj(old).spec;
  const spec = field(obj, 'spec');
  if (!spec) return;
  const oldFinalizers = isObj(oldSpec) ? oldSpec.finalizers : undefined;
  if (oldFinalizers === undefined) delete spec.finalizers;
  else spec.finalizers = deepCopy(oldFinalizers);
}

function validate(obj: KubeObject): FieldError[] {
  const errs = validateMeta(obj, { namespaced: false, name: nameIsDNSLabel });
  const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
  const path = 'spec.finalizers';
  for (const f of getStringArray(spec, 'finalizers', 'spec', errs) ?? []) {
    for (const msg of isQualifiedName(f)) errs.push(fieldError.invalid(path, f, msg));
    errs.push(...validateKubeFinalizerName(f, path));
  }
  return errs;
}

export const namespaceStrategy: Strategy = {
  defaults,
  prepareForCreate,
  prepareForUpdate,
  validate,
  validateUpdate: validateMetaUpdate,
};
