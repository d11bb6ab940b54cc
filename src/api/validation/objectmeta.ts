// ObjectMeta validation as the API server applies it to every kind: name rules,
// namespace scope, labels, annotations, owner references, finalizers, and what
// may not change on update. Field paths and messages follow upstream.

import { fieldError } from '../errors.ts';
import type { FieldError } from '../errors.ts';
import { child, index } from './fieldpath.ts';
import { getInt, getString, isObj, semanticEqual, typeInvalid } from './json.ts';
import type { Obj } from './json.ts';
import { byteLength, isDNS1123Label, isQualifiedName, isValidLabelValue } from './names.ts';
import type { NameValidator } from './names.ts';

export const fieldImmutableErrorMsg = 'field is immutable';
export const isNegativeErrorMsg = 'must be greater than or equal to 0';
/** Total size of all annotation keys and values. */
export const totalAnnotationSizeLimitB = 256 * 1024;

/** Finalizer names that need no domain prefix. */
const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export interface ObjectMetaOptions {
  /**
   * The kind lives in a namespace (namespace required) or not (namespace forbidden).
   * Undefined skips the scope check (for kinds whose scope the caller does not know).
   */
  namespaced: boolean | undefined;
  /** The rule for metadata.name (and generateName with prefix=true). */
  nameValidator: NameValidator;
  /**
   * 'generic' for kinds validated by apimachinery's generic rules only (CRDs and
   * custom resources): unprefixed finalizer names need not be standard ones.
   */
  rules?: 'core' | 'generic';
}

/** Labels: each key a qualified name, each value a label value. Errors are reported at `path`. */
export function validateLabels(labels: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (labels === undefined || labels === null) return errs;
  if (!isObj(labels)) return [typeInvalid(path, labels, 'object')];
  for (const [k, v] of Object.entries(labels)) {
    errs.push(...validateLabelName(k, path));
    if (v === null || v === undefined) continue;
    if (typeof v !== 'string') {
      errs.push(typeInvalid(`${path}[${k}]`, v, 'string'));
      continue;
    }
    for (const msg of isValidLabelValue(v)) errs.push(fieldError.invalid(path, v, msg));
  }
  return errs;
}

export function validateLabelName(name: string, path: string): FieldError[] {
  return isQualifiedName(name).map((msg) => fieldError.invalid(path, name, msg));
}

/** Annotations: keys are qualified names (case-insensitively); the total size is limited. */
export function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (annotations === undefined || annotations === null) return errs;
  if (!isObj(annotations)) return [typeInvalid(path, annotations, 'object')];
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(fieldError.invalid(path, k, msg));
    total += byteLength(k);
    if (v === null || v === undefined) continue;
    if (typeof v !== 'string') {
      errs.push(typeInvalid(`${path}[${k}]`, v, 'string'));
      continue;
    }
    total += byteLength(v);
  }
  if (total > totalAnnotationSizeLimitB) errs.push(fieldError.tooLong(path, '', totalAnnotationSizeLimitB));
  return errs;
}

function parseGroupVersion(apiVersion: string): { group: string; version: string } | undefined {
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '' };
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: parts[0] as string };
  if (parts.length === 2) return { group: parts[0] as string, version: parts[1] as string };
  return undefined;
}

export function validateOwnerReferences(refs: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (refs === undefined || refs === null) return errs;
  if (!Array.isArray(refs)) return [typeInvalid(path, refs, 'array')];
  let firstController = '';
  refs.forEach((ref, i) => {
    const p = index(path, i);
    if (!isObj(ref)) {
      errs.push(typeInvalid(p, ref, 'object'));
      return;
    }
    const apiVersion = getString(ref, 'apiVersion', p, errs) ?? '';
    const kind = getString(ref, 'kind', p, errs) ?? '';
    const name = getString(ref, 'name', p, errs) ?? '';
    const uid = getString(ref, 'uid', p, errs) ?? '';
    const gv = parseGroupVersion(apiVersion);
    if (apiVersion.length === 0) errs.push(fieldError.required(child(p, 'apiVersion'), 'must not be empty'));
    else if (gv === undefined || gv.version.length === 0) {
      errs.push(fieldError.invalid(child(p, 'apiVersion'), apiVersion, 'must be <group>/<version> or <version>'));
    }
    if (kind.length === 0) errs.push(fieldError.required(child(p, 'kind'), 'must not be empty'));
    if (name.length === 0) errs.push(fieldError.required(child(p, 'name'), 'must not be empty'));
    if (uid.length === 0) errs.push(fieldError.required(child(p, 'uid'), 'must not be empty'));
    if (gv && gv.group === '' && gv.version === 'v1' && kind === 'Event') {
      errs.push(fieldError.invalid(p, ref, '/v1, Kind=Event is disallowed from being an owner'));
    }
    const controller = ref.controller;
    if (controller !== undefined && controller !== null && typeof controller !== 'boolean') {
      errs.push(typeInvalid(child(p, 'controller'), controller, 'boolean'));
    }
    const bod = ref.blockOwnerDeletion;
    if (bod !== undefined && bod !== null && typeof bod !== 'boolean') {
      errs.push(typeInvalid(child(p, 'blockOwnerDeletion'), bod, 'boolean'));
    }
    if (controller === true) {
      const current = `${kind}/${name}`;
      if (firstController !== '') {
        errs.push(fieldError.invalid(path, refs,
          `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`));
      } else {
        firstController = current;
      }
    }
  });
  return errs;
}

/** Finalizers: qualified names; unprefixed ones must be standard; orphan and foreground exclude each other. */
export function validateFinalizers(finalizers: unknown, path: string, rules: 'core' | 'generic' = 'core'): FieldError[] {
  const errs: FieldError[] = [];
  if (finalizers === undefined || finalizers === null) return errs;
  if (!Array.isArray(finalizers)) return [typeInvalid(path, finalizers, 'array')];
  let orphan = false, foreground = false;
  const names: string[] = [];
  finalizers.forEach((f, i) => {
    if (typeof f !== 'string') {
      errs.push(typeInvalid(index(path, i), f, 'string'));
      return;
    }
    names.push(f);
    for (const msg of isQualifiedName(f)) errs.push(fieldError.invalid(path, f, msg));
    if (f === 'orphan') orphan = true;
    if (f === 'foregroundDeletion') foreground = true;
  });
  if (orphan && foreground) {
    errs.push(fieldError.invalid(path, names, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  // The core API group additionally insists on standard names for unprefixed finalizers.
  if (rules === 'generic') return errs;
  finalizers.forEach((f, i) => {
    if (typeof f === 'string') errs.push(...validateKubeFinalizerName(f, index(path, i)));
  });
  return errs;
}

/** An unprefixed finalizer must be one of the standard names. */
export function validateKubeFinalizerName(f: string, path: string): FieldError[] {
  if (f.split('/').length === 1 && !standardFinalizers.has(f)) {
    return [fieldError.invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified')];
  }
  return [];
}

function validateManagedFields(mf: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (mf === undefined || mf === null) return errs;
  if (!Array.isArray(mf)) return [typeInvalid(path, mf, 'array')];
  mf.forEach((entry, i) => {
    const p = index(path, i);
    if (!isObj(entry)) {
      errs.push(typeInvalid(p, entry, 'object'));
      return;
    }
    const op = getString(entry, 'operation', p, errs);
    if (op !== undefined && op !== 'Apply' && op !== 'Update') {
      errs.push(fieldError.notSupported(child(p, 'operation'), op, ['Apply', 'Update']));
    }
    const ft = getString(entry, 'fieldsType', p, errs);
    if (ft !== undefined && ft !== '' && ft !== 'FieldsV1') {
      errs.push(fieldError.notSupported(child(p, 'fieldsType'), ft, ['FieldsV1']));
    }
    const sub = getString(entry, 'subresource', p, errs);
    if (sub !== undefined && sub.length > 256) errs.push(fieldError.tooLong(child(p, 'subresource'), sub, 256));
  });
  return errs;
}

/** Checks shared by create and update: labels, annotations, owners, finalizers, managedFields, generation. */
function validateMetaCommon(meta: Obj, path: string, rules: 'core' | 'generic' = 'core'): FieldError[] {
  const errs: FieldError[] = [];
  const gen = getInt(meta, 'generation', path, errs);
  if (gen !== undefined && gen < 0) errs.push(fieldError.invalid(child(path, 'generation'), gen, isNegativeErrorMsg));
  errs.push(...validateLabels(meta.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(path, 'annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, child(path, 'ownerReferences')));
  errs.push(...validateFinalizers(meta.finalizers, child(path, 'finalizers'), rules));
  errs.push(...validateManagedFields(meta.managedFields, child(path, 'managedFields')));
  return errs;
}

/**
 * Validate an object's metadata on create (after name generation, if any):
 * name or generateName, name format, namespace per scope, and the common parts.
 * `path` is where the metadata sits (`metadata`, or `spec.template.metadata`).
 */
export function validateObjectMeta(meta: unknown, opts: ObjectMetaOptions, path = 'metadata'): FieldError[] {
  if (meta === undefined || meta === null) meta = {};
  if (!isObj(meta)) return [typeInvalid(path, meta, 'object')];
  const errs: FieldError[] = [];
  const name = getString(meta, 'name', path, errs) ?? '';
  const generateName = getString(meta, 'generateName', path, errs) ?? '';
  const namespace = getString(meta, 'namespace', path, errs) ?? '';
  if (generateName.length > 0) {
    for (const msg of opts.nameValidator(generateName, true)) errs.push(fieldError.invalid(child(path, 'generateName'), generateName, msg));
  }
  if (name.length === 0) {
    errs.push(fieldError.required(child(path, 'name'), 'name or generateName is required'));
  } else {
    for (const msg of opts.nameValidator(name, false)) errs.push(fieldError.invalid(child(path, 'name'), name, msg));
  }
  if (opts.namespaced === true) {
    if (namespace.length === 0) errs.push(fieldError.required(child(path, 'namespace')));
    else for (const msg of isDNS1123Label(namespace)) errs.push(fieldError.invalid(child(path, 'namespace'), namespace, msg));
  } else if (opts.namespaced === false && namespace.length !== 0) {
    errs.push(fieldError.forbidden(child(path, 'namespace'), 'not allowed on this type'));
  }
  errs.push(...validateMetaCommon(meta, path, opts.rules));
  return errs;
}

/**
 * Validate metadata on update: the identity fields may not change, and the
 * new labels, annotations, owners and finalizers must be valid. Finalizers may
 * not be added while the object is being deleted.
 */
export function validateObjectMetaUpdate(meta: unknown, oldMeta: unknown, path = 'metadata', rules: 'core' | 'generic' = 'core'): FieldError[] {
  if (meta === undefined || meta === null) meta = {};
  if (!isObj(meta)) return [typeInvalid(path, meta, 'object')];
  const old = isObj(oldMeta) ? oldMeta : {};
  const errs: FieldError[] = [];

  if (old.deletionTimestamp) {
    const now = new Set(Array.isArray(meta.finalizers) ? meta.finalizers : []);
    const before = new Set(Array.isArray(old.finalizers) ? old.finalizers : []);
    const extra = [...now].filter((f) => !before.has(f)).map(String).sort();
    if (extra.length > 0) {
      errs.push(fieldError.forbidden(child(path, 'finalizers'),
        `no new finalizers can be added if the object is being deleted, found new finalizers []string{${extra.map((f) => JSON.stringify(f)).join(', ')}}`));
    }
  }

  const gen = meta.generation, oldGen = old.generation;
  if (typeof gen === 'number' && typeof oldGen === 'number' && gen < oldGen) {
    errs.push(fieldError.invalid(child(path, 'generation'), gen, 'must not be decremented'));
  }
  for (const f of ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds']) {
    errs.push(...validateImmutableField(meta[f], old[f], child(path, f)));
  }
  errs.push(...validateMetaCommon(meta, path, rules));
  return errs;
}

/** `field is immutable` when a value changed (zero values count as equal to absent). */
export function validateImmutableField(value: unknown, old: unknown, path: string): FieldError[] {
  if (semanticEqual(value, old)) return [];
  return [fieldError.invalid(path, value ?? null, fieldImmutableErrorMsg)];
}

/** A non-negative integer field. */
export function validateNonnegative(value: number | undefined, path: string): FieldError[] {
  if (value !== undefined && value < 0) return [fieldError.invalid(path, value, isNegativeErrorMsg)];
  return [];
}

/**
 * Metadata of an embedded template (a PVC template in a pod or StatefulSet):
 * labels and annotations are checked; nothing else may be set.
 */
export function validateTemplateObjectMeta(meta: unknown, path: string): FieldError[] {
  if (meta === undefined || meta === null) return [];
  if (!isObj(meta)) return [typeInvalid(path, meta, 'object')];
  const errs = [...validateAnnotations(meta.annotations, child(path, 'annotations')), ...validateLabels(meta.labels, child(path, 'labels'))];
  for (const [k, v] of Object.entries(meta)) {
    if (k === 'labels' || k === 'annotations' || k === 'creationTimestamp') continue;
    if (v === undefined || v === null || v === '') continue;
    errs.push(fieldError.forbidden(child(path, k), 'cannot be set'));
  }
  return errs;
}
