// core/v1 ServiceAccount: DNS-subdomain names; the references it holds are lists of names.

import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { getBool, getObjectList } from '../../api/validation/json.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import type { Strategy } from '../types.ts';
import { asObj, validateMeta, validateMetaUpdate } from './common.ts';

function validate(obj: KubeObject): FieldError[] {
  const errs = validateMeta(obj, { namespaced: true, name: nameIsDNSSubdomain });
  const o = asObj(obj);
  getObjectList(o, 'secrets', '', errs);
  getObjectList(o, 'imagePullSecrets', '', errs);
  getBool(o, 'automountServiceAccountToken', '', errs);
  return errs;
}

export const serviceAccountStrategy: Strategy = { validate, validateUpdate: validateMetaUpdate };
