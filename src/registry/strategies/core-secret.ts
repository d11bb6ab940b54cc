// core/v1 Secret: type Opaque by default, stringData folded into data (as the
// server's conversion does), key names, size, per-type required keys, and
// immutability (type always; data once `immutable: true`).

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { key } from '../../api/validation/fieldpath.ts';
import { getBool, getString, isObj, semanticEqual, typeInvalid } from '../../api/validation/json.ts';
import { isConfigMapKey, nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { validateImmutableField } from '../../api/validation/objectmeta.ts';
import type { Strategy } from '../types.ts';
import { base64Error, encodeBase64 } from './base64.ts';
import { asObj, metaOf, validateMeta, validateMetaUpdate } from './common.ts';
import { maxDataSize } from './core-configmap.ts';

function defaults(obj: KubeObject): void {
  const o = asObj(obj);
  if (o.type === undefined || o.type === null || o.type === '') o.type = 'Opaque';
  // stringData is write-only: its entries become base64 data and the field disappears.
  if (isObj(o.stringData)) {
    if (o.data === undefined || o.data === null) o.data = {};
    if (isObj(o.data)) {
      const stringData = o.stringData;
      for (const [k, v] of Object.entries(stringData)) {
        if (typeof v === 'string') o.data[k] = encodeBase64(v);
      }
      if (Object.values(stringData).every((v) => typeof v === 'string')) delete o.stringData;
    }
  }
}

/** What json.Unmarshal into map[string]interface{} would say about a docker config. */
function jsonObjectError(b64: string): string | undefined {
  const text = Buffer.from(b64, 'base64').toString('utf8');
  if (text.trim() === '') return 'unexpected end of JSON input';
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    const first = text.trimStart()[0] ?? '';
    return /[{["0-9tfn-]/.test(first) ? 'unexpected end of JSON input' : `invalid character '${first}' looking for beginning of value`;
  }
  if (!isObj(v)) return `json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v === 'string' ? 'string' : typeof v === 'number' ? 'number' : 'bool'} into Go value of type map[string]interface {}`;
  return undefined;
}

function validate(obj: KubeObject): FieldError[] {
  const errs = validateMeta(obj, { namespaced: true, name: nameIsDNSSubdomain });
  const o = asObj(obj);
  let data: Record<string, string> = {};
  if (o.data !== undefined && o.data !== null) {
    if (!isObj(o.data)) errs.push(typeInvalid('data', o.data, 'object'));
    else {
      let total = 0;
      for (const [k, v] of Object.entries(o.data)) {
        const p = key('data', k);
        for (const msg of isConfigMapKey(k)) errs.push(fieldError.invalid(p, k, msg));
        if (v === null) { data[k] = ''; continue; }
        if (typeof v !== 'string') { errs.push(typeInvalid(p, v, 'string')); continue; }
        const bad = base64Error(v);
        if (bad) { errs.push(fieldError.invalid(p, '<secret contents redacted>', bad)); continue; }
        data[k] = v;
        total += Buffer.from(v, 'base64').length;
      }
      if (total > maxDataSize) errs.push(fieldError.tooLong('data', '', maxDataSize));
    }
  }
  if (isObj(o.stringData)) {
    for (const [k, v] of Object.entries(o.stringData)) {
      if (typeof v !== 'string') errs.push(typeInvalid(key('stringData', k), v, 'string'));
    }
  } else if (o.stringData !== undefined && o.stringData !== null) {
    errs.push(typeInvalid('stringData', o.stringData, 'object'));
  }
  getBool(o, 'immutable', '', errs);
  const type = getString(o, 'type', '', errs) ?? '';
  const has = (k: string): boolean => Object.hasOwn(data, k);
  switch (type) {
    case 'kubernetes.io/service-account-token': {
      const ann = metaOf(obj).annotations;
      const sa = isObj(ann) ? ann['kubernetes.io/service-account.name'] : undefined;
      if (typeof sa !== 'string' || sa.length === 0) errs.push(fieldError.required(key('metadata.annotations', 'kubernetes.io/service-account.name')));
      break;
    }
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const k = type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(k)) { errs.push(fieldError.required(key('data', k))); break; }
      const bad = jsonObjectError(data[k] as string);
      if (bad) errs.push(fieldError.invalid(key('data', k), '<secret contents redacted>', bad));
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(fieldError.required(key('data', 'username')));
        errs.push(fieldError.required(key('data', 'password')));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!data['ssh-privatekey']) errs.push(fieldError.required(key('data', 'ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(fieldError.required(key('data', 'tls.crt')));
      if (!has('tls.key')) errs.push(fieldError.required(key('data', 'tls.key')));
      break;
  }
  return errs;
}

function validateUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateMetaUpdate(obj, old);
  const o = asObj(obj), oo = asObj(old);
  errs.push(...validateImmutableField(o.type, oo.type, 'type'));
  if (oo.immutable === true) {
    if (o.immutable !== true) errs.push(fieldError.forbidden('immutable', 'field is immutable when `immutable` is set'));
    if (!semanticEqual(o.data, oo.data)) errs.push(fieldError.forbidden('data', 'field is immutable when `immutable` is set'));
  }
  return errs;
}

export const secretStrategy: Strategy = { defaults, validate, validateUpdate };
