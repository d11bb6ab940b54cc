// core/v1 ConfigMap: key names, total size, and immutability once `immutable: true`.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { key } from '../../api/validation/fieldpath.ts';
import { getBool, isObj, semanticEqual, typeInvalid } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { byteLength, isConfigMapKey, nameIsDNSSubdomain } from '../../api/validation/names.ts';
import type { Strategy } from '../types.ts';
import { asObj, validateMeta, validateMetaUpdate } from './common.ts';
import { base64Error, decodedLength } from './base64.ts';

/** ConfigMaps and Secrets may hold at most 1 MiB of data. */
export const maxDataSize = 1024 * 1024;

function mapField(o: Obj, k: string, errs: FieldError[]): Obj | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (isObj(v)) return v;
  errs.push(typeInvalid(k, v, 'object'));
  return undefined;
}

function validate(obj: KubeObject): FieldError[] {
  const errs = validateMeta(obj, { namespaced: true, name: nameIsDNSSubdomain });
  const o = asObj(obj);
  const data = mapField(o, 'data', errs) ?? {};
  const binary = mapField(o, 'binaryData', errs) ?? {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    const p = key('data', k);
    for (const msg of isConfigMapKey(k)) errs.push(fieldError.invalid(p, k, msg));
    if (Object.hasOwn(binary, k)) errs.push(fieldError.invalid(p, k, 'duplicate of key present in binaryData'));
    if (v === null) continue;
    if (typeof v !== 'string') { errs.push(typeInvalid(p, v, 'string')); continue; }
    total += byteLength(v);
  }
  for (const [k, v] of Object.entries(binary)) {
    const p = key('binaryData', k);
    for (const msg of isConfigMapKey(k)) errs.push(fieldError.invalid(p, k, msg));
    if (v === null) continue;
    if (typeof v !== 'string') { errs.push(typeInvalid(p, v, 'string')); continue; }
    const bad = base64Error(v);
    if (bad) { errs.push(fieldError.invalid(p, '<binary data>', bad)); continue; }
    total += decodedLength(v);
  }
  if (total > maxDataSize) errs.push(fieldError.tooLong('', '', maxDataSize));
  getBool(o, 'immutable', '', errs);
  return errs;
}

function validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateMetaUpdate(obj, old);
  const o = asObj(obj), oo = asObj(old);
  if (oo.immutable === true) {
    if (o.immutable !== true) errs.push(fieldError.forbidden('immutable', 'field is immutable when `immutable` is set'));
    if (!semanticEqual(o.data, oo.data)) errs.push(fieldError.forbidden('data', 'field is immutable when `immutable` is set'));
    if (!semanticEqual(o.binaryData, oo.binaryData)) errs.push(fieldError.forbidden('binaryData', 'field is immutable when `immutable` is set'));
  }
  return errs;
}

export const configMapStrategy: Strategy = { validate, validateUpdate };
