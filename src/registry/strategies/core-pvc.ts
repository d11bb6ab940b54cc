// core/v1 PersistentVolumeClaim: volumeMode default, phase Pending, the claim
// spec checks, and the update rule: the spec is immutable except growing
// resources.requests of a bound claim (and setting volumeName once).

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { child } from '../../api/validation/fieldpath.ts';
import { deepClone, isObj, objAt, semanticEqual } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { validateImmutableField } from '../../api/validation/objectmeta.ts';
import { jsonDiff } from '../../api/validation/pod-update.ts';
import { validatePersistentVolumeClaimSpec } from '../../api/validation/pvc-spec.ts';
import { cmpQuantity, parseQuantity } from '../../api/validation/quantity.ts';
import type { Strategy } from '../types.ts';
import { asObj, field, keepStatus, metaOf, validateMeta, validateMetaUpdate } from './common.ts';
import { canonicalizeResourceList, defaultPVCSpec } from './pod-defaults.ts';

const betaStorageClassAnnotation = 'volume.beta.kubernetes.io/storage-class';

function defaults(obj: KubeObject): void {
  const spec = field(obj, 'spec');
  if (spec) defaultPVCSpec(spec);
  const status = field(obj, 'status');
  if (status) {
    if (status.phase === undefined || status.phase === null || status.phase === '') status.phase = 'Pending';
    canonicalizeResourceList(status.capacity);
    canonicalizeResourceList(status.allocatedResources);
  }
}

function validate(obj: KubeObject): FieldError[] {
  return [
    ...validateMeta(obj, { namespaced: true, name: nameIsDNSSubdomain }),
    ...validatePersistentVolumeClaimSpec(asObj(obj).spec, 'spec'),
  ];
}

function storageOf(spec: Obj): unknown {
  const res = objAt(spec.resources);
  const req = res ? objAt(res.requests) : undefined;
  return req?.storage;
}

function annotation(meta: Obj, k: string): string | undefined {
  const a = isObj(meta.annotations) ? meta.annotations[k] : undefined;
  return typeof a === 'string' ? a : undefined;
}

function validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateMetaUpdate(obj, old);
  const o = asObj(obj), oo = asObj(old);
  const spec = isObj(o.spec) ? o.spec : {};
  const oldSpec = isObj(oo.spec) ? oo.spec : {};
  const newClone = deepClone(spec);
  const oldClone = deepClone(oldSpec);
  if (oldSpec.volumeName === undefined || oldSpec.volumeName === '') {
    if (newClone.volumeName === undefined) delete oldClone.volumeName; else oldClone.volumeName = newClone.volumeName;
  }
  const meta = metaOf(obj), oldMeta = metaOf(old);
  const oldAnn = annotation(oldMeta, betaStorageClassAnnotation);
  const newAnn = annotation(meta, betaStorageClassAnnotation);
  const oldScn = oldSpec.storageClassName, newScn = spec.storageClassName;
  const upgradeFromAnnotation = oldAnn !== undefined && (oldScn === undefined || oldScn === null) &&
    typeof newScn === 'string' && newScn === oldAnn && (newAnn === undefined || newAnn === oldAnn);
  if (upgradeFromAnnotation) {
    delete newClone.storageClassName;
  } else {
    if ((newAnn ?? '') !== (oldAnn ?? '')) {
      errs.push(fieldError.invalid(child('metadata', 'annotations', betaStorageClassAnnotation), newAnn ?? '', 'field is immutable'));
    }
    // Setting a class on a claim that had none (and no conflicting annotation) is allowed.
    if (typeof newScn === 'string' && (oldScn === undefined || oldScn === null) && (oldAnn === undefined || newScn === oldAnn)) {
      delete newClone.storageClassName;
    }
  }
  const status = isObj(o.status) ? o.status : {};
  const bound = status.phase === 'Bound';
  if (bound) {
    const res = objAt(newClone.resources);
    const req = res ? objAt(res.requests) : undefined;
    if (req) {
      const oldStorage = storageOf(oldSpec);
      if (oldStorage === undefined) delete req.storage; else req.storage = oldStorage;
    }
    if (newClone.volumeAttributesClassName !== undefined) newClone.volumeAttributesClassName = oldClone.volumeAttributesClassName;
  }
  if (!semanticEqual(newClone, oldClone)) {
    const diff = jsonDiff(oldClone, newClone, 'spec').join('\n');
    errs.push(fieldError.forbidden('spec', `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${diff}`));
  }
  const ns = storageOf(spec), os = storageOf(oldSpec);
  const nq = typeof ns === 'string' || typeof ns === 'number' ? parseQuantity(ns) : undefined;
  const oq = typeof os === 'string' || typeof os === 'number' ? parseQuantity(os) : undefined;
  if (nq && oq && typeof nq !== 'string' && typeof oq !== 'string' && cmpQuantity(nq, oq) < 0) {
    // Shrinking is how a failed expansion is recovered; it may not go down to the current capacity.
    const oldStatus = isObj(oo.status) ? oo.status : {};
    const capRaw = isObj(oldStatus.capacity) ? oldStatus.capacity.storage : undefined;
    const cap = typeof capRaw === 'string' || typeof capRaw === 'number' ? parseQuantity(capRaw) : undefined;
    if (cap && typeof cap !== 'string' && cmpQuantity(nq, cap) <= 0) {
      errs.push(fieldError.forbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'));
    }
  }
  errs.push(...validateImmutableField(spec.volumeMode, oldSpec.volumeMode, 'volumeMode'));
  if (!semanticEqual(spec.volumeAttributesClassName, oldSpec.volumeAttributesClassName) &&
    oldSpec.volumeAttributesClassName !== undefined && oldSpec.volumeAttributesClassName !== null) {
    if (spec.volumeAttributesClassName === undefined || spec.volumeAttributesClassName === null) {
      errs.push(fieldError.forbidden('spec.volumeAttributesClassName', 'update from non-nil value to nil is forbidden'));
    } else if (spec.volumeAttributesClassName === '') {
      errs.push(fieldError.forbidden('spec.volumeAttributesClassName', 'update from non-nil value to an empty string is forbidden'));
    }
  }
  return errs;
}

export const pvcStrategy: Strategy = {
  defaults,
  prepareForCreate(obj) { obj.status = { phase: 'Pending' }; },
  prepareForUpdate: keepStatus,
  validate,
  validateUpdate,
};
