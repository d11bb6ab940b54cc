// core/v1 LimitRange: container limits get their defaults filled from max/min;
// types, resource names and min <= default request <= default <= max are checked.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { child, key } from '../../api/validation/fieldpath.ts';
import { ensureObj, getObject, getObjectList, getString, isObj, objAt, objsAt } from '../../api/validation/json.ts';
import { isQualifiedName, nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { cmpQuantity, parseQuantity, quantityString } from '../../api/validation/quantity.ts';
import type { Quantity } from '../../api/validation/quantity.ts';
import { readResourceList, validateContainerResourceName, validateResourceName } from '../../api/validation/resources.ts';
import type { Strategy } from '../types.ts';
import { asObj, validateMeta, validateMetaUpdate } from './common.ts';
import { canonicalizeResourceList } from './pod-defaults.ts';

const standardLimitTypes = new Set(['Pod', 'Container', 'PersistentVolumeClaim']);

function defaults(obj: KubeObject): void {
  const spec = objAt(asObj(obj).spec);
  if (!spec) return;
  for (const item of objsAt(spec.limits)) {
    if (item.type === 'Container') {
      const def = ensureObj(item, 'default');
      const defReq = ensureObj(item, 'defaultRequest');
      if (def && defReq) {
        for (const [k, v] of Object.entries(objAt(item.max) ?? {})) if (!Object.hasOwn(def, k)) def[k] = v;
        for (const [k, v] of Object.entries(def)) if (!Object.hasOwn(defReq, k)) defReq[k] = v;
        for (const [k, v] of Object.entries(objAt(item.min) ?? {})) if (!Object.hasOwn(defReq, k)) defReq[k] = v;
      }
    }
    for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) canonicalizeResourceList(item[k]);
  }
}

function validate(obj: KubeObject): FieldError[] {
  const errs = validateMeta(obj, { namespaced: true, name: nameIsDNSSubdomain });
  const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
  const types = new Set<string>();
  for (const { item: limit, path } of getObjectList(spec, 'limits', 'spec', errs)) {
    const type = getString(limit, 'type', path, errs) ?? '';
    const tp = child(path, 'type');
    const typeErrs = isQualifiedName(type).map((m) => fieldError.invalid(tp, type, m));
    if (typeErrs.length === 0 && type.split('/').length === 1 && !standardLimitTypes.has(type)) {
      typeErrs.push(fieldError.invalid(tp, type, 'must be a standard limit type or fully qualified'));
    }
    errs.push(...typeErrs);
    if (types.has(type)) errs.push(fieldError.duplicate(tp, type));
    types.add(type);
    const nameFn = type === 'Pod' || type === 'Container' ? validateContainerResourceName : validateResourceName;
    const lists: Record<string, Map<string, Quantity>> = {};
    const keys = new Set<string>();
    for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) {
      const lp = child(path, k);
      if (type === 'Pod' && (k === 'default' || k === 'defaultRequest')) {
        if (isObj(limit[k]) && Object.keys(limit[k] as object).length > 0) errs.push(fieldError.forbidden(lp, "may not be specified when `type` is 'Pod'"));
        lists[k] = new Map();
        continue;
      }
      lists[k] = readResourceList(limit[k], lp, errs);
      for (const name of (lists[k] as Map<string, Quantity>).keys()) {
        errs.push(...nameFn(name, key(lp, name)));
        keys.add(name);
      }
    }
    if (type === 'PersistentVolumeClaim' && !(lists.min as Map<string, Quantity>).has('storage') && !(lists.max as Map<string, Quantity>).has('storage')) {
      errs.push(fieldError.required(child(path, 'limits'), 'either minimum or maximum storage value is required, but neither was provided'));
    }
    const one = parseQuantity('1') as Quantity;
    for (const k of keys) {
      const min = lists.min?.get(k), max = lists.max?.get(k), def = lists.default?.get(k), defReq = lists.defaultRequest?.get(k);
      const ratio = lists.maxLimitRequestRatio?.get(k);
      const s = quantityString;
      if (min && max && cmpQuantity(min, max) > 0) errs.push(fieldError.invalid(key(child(path, 'min'), k), s(min), `min value ${s(min)} is greater than max value ${s(max)}`));
      if (defReq && min && cmpQuantity(min, defReq) > 0) errs.push(fieldError.invalid(key(child(path, 'defaultRequest'), k), s(defReq), `min value ${s(min)} is greater than default request value ${s(defReq)}`));
      if (defReq && max && cmpQuantity(defReq, max) > 0) errs.push(fieldError.invalid(key(child(path, 'defaultRequest'), k), s(defReq), `default request value ${s(defReq)} is greater than max value ${s(max)}`));
      if (defReq && def && cmpQuantity(defReq, def) > 0) errs.push(fieldError.invalid(key(child(path, 'defaultRequest'), k), s(defReq), `default request value ${s(defReq)} is greater than default limit value ${s(def)}`));
      if (def && min && cmpQuantity(min, def) > 0) errs.push(fieldError.invalid(key(child(path, 'default'), k), s(min), `min value ${s(min)} is greater than default value ${s(def)}`));
      if (def && max && cmpQuantity(def, max) > 0) errs.push(fieldError.invalid(key(child(path, 'default'), k), s(max), `default value ${s(def)} is greater than max value ${s(max)}`));
      if (ratio && cmpQuantity(ratio, one) < 0) errs.push(fieldError.invalid(key(child(path, 'maxLimitRequestRatio'), k), s(ratio), `ratio ${s(ratio)} is less than 1`));
    }
  }
  return errs;
}

export const limitRangeStrategy: Strategy = { defaults, validate, validateUpdate: validateMetaUpdate };
