// Building blocks shared by the per-kind strategies.
//
// How the store uses a Strategy (and what these strategies assume):
//  - create: prepareForCreate, then defaults, then validate and validateCreate.
//  - update: prepareForUpdate(new, old), then defaults, then validate(new) AND
//    validateUpdate(new, old). So `validate` holds the rules for any state of an
//    object, and `validateUpdate` only the rules about the transition (immutable
//    fields and metadata). Every kind's validateUpdate includes metadata update checks.
//  - specFields present means the kind tracks metadata.generation (upstream
//    strategies set generation only for some kinds); absent means it does not.

import { randomBytes } from 'node:crypto';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { isObj } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../api/validation/objectmeta.ts';
import type { NameValidator } from '../../api/validation/names.ts';
import type { Strategy } from '../types.ts';
import { deepCopy } from '../../api/json-copy.ts';

/** A KubeObject viewed as arbitrary JSON (bodies are untrusted). */
export function asObj(obj: KubeObject): Obj {
  return obj as unknown as Obj;
}

/** The object's metadata when it is an object (else an empty stand-in). */
export function metaOf(obj: KubeObject): Obj {
  const m = asObj(obj).metadata;
  return isObj(m) ? m : {};
}

export function nameOf(obj: KubeObject): string {
  const n = metaOf(obj).name;
  return typeof n === 'string' ? n : '';
}

/** obj[k] as an object, created when absent; undefined when it holds something else. */
export function field(obj: KubeObject | Obj, k: string): Obj | undefined {
  const o = obj as Obj;
  const v = o[k];
  if (v === undefined || v === null) {
    const created: Obj = {};
    o[k] = created;
    return created;
  }
  return isObj(v) ? v : undefined;
}

export interface MetaRules {
  /** Undefined: scope unknown, the namespace is not checked. */
  namespaced: boolean | undefined;
  name: NameValidator;
}

export function validateMeta(obj: KubeObject, rules: MetaRules): FieldError[] {
  return validateObjectMeta(asObj(obj).metadata, { namespaced: rules.namespaced, nameValidator: rules.name });
}

export function validateMetaUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return validateObjectMetaUpdate(asObj(obj).metadata, asObj(old).metadata);
}

const nameSuffixAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * Settle metadata.name from generateName now, for kinds whose create-time
 * preparation depends on the final name (a Job's job-name labels, a Namespace's
 * name label). The API server generates names before admission; a store that
 * generates them after prepareForCreate leaves them to this.
 */
export function ensureGeneratedName(obj: KubeObject): void {
  const meta = asObj(obj).metadata;
  if (!isObj(meta)) return;
  if (typeof meta.name === 'string' && meta.name !== '') return;
  if (typeof meta.generateName !== 'string' || meta.generateName === '') return;
  const base = meta.generateName.length > 58 ? meta.generateName.slice(0, 58) : meta.generateName;
  let suffix = '';
  for (const b of randomBytes(5)) suffix += nameSuffixAlphabet[b % nameSuffixAlphabet.length];
  meta.name = base + suffix;
}

/** Carry the stored status over (the status subresource is the way to change it). */
export function keepStatus(obj: KubeObject, old: KubeObject): void {
  if (old.status === undefined) delete obj.status;
  else obj.status = deepCopy(old.status);
}

export interface BasicOptions extends MetaRules {
  /** Status is server-owned: reset on create (to this value) and kept on update. */
  status?: () => unknown;
  /** The kind tracks generation over these top-level fields. */
  specFields?: string[];
  defaults?: (obj: KubeObject) => void;
  /** Kind-specific checks of any state of the object (metadata is checked already). */
  validate?: (obj: KubeObject) => FieldError[];
  /** Kind-specific checks of a new object only. */
  validateCreate?: (obj: KubeObject) => FieldError[];
  /** Kind-specific transition checks (metadata update is checked already). */
  validateUpdate?: (obj: KubeObject, old: KubeObject) => FieldError[];
  prepareForCreate?: (obj: KubeObject) => void;
  prepareForUpdate?: (obj: KubeObject, old: KubeObject) => void;
}

/** A strategy from parts: metadata validation with the kind's name rule, plus extras. */
export function strategy(opts: BasicOptions): Strategy {
  const s: Strategy = {
    validate(obj) {
      return [...validateMeta(obj, opts), ...(opts.validate?.(obj) ?? [])];
    },
    validateUpdate(obj, old) {
      return [...validateMetaUpdate(obj, old), ...(opts.validateUpdate?.(obj, old) ?? [])];
    },
  };
  if (opts.validateCreate) s.validateCreate = opts.validateCreate;
  if (opts.defaults) s.defaults = opts.defaults;
  const status = opts.status;
  if (status || opts.prepareForCreate) {
    s.prepareForCreate = (obj) => {
      if (status) obj.status = status();
      opts.prepareForCreate?.(obj);
    };
  }
  if (status || opts.prepareForUpdate) {
    s.prepareForUpdate = (obj, old) => {
      if (status) keepStatus(obj, old);
      opts.prepareForUpdate?.(obj, old);
    };
  }
  if (opts.specFields) s.specFields = opts.specFields;
  return s;
}
