// apps/v1 ControllerRevision: data is mandatory and immutable; revision is non-negative.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { validateImmutableField } from '../../api/validation/objectmeta.ts';
import type { Strategy } from '../types.ts';
import { asObj, strategy } from './common.ts';
import { nonNegative } from './workload-common.ts';

export const controllerRevisionStrategy: Strategy = strategy({
  namespaced: true,
  name: nameIsDNSSubdomain,
  validate(obj) {
    const errs: FieldError[] = [];
    const o = asObj(obj);
    if (o.data === undefined || o.data === null) errs.push(fieldError.required('data', 'data is mandatory'));
    nonNegative(o, 'revision', '', errs);
    return errs;
  },
  validateUpdate(obj, old) {
    return validateImmutableField(asObj(obj).data, asObj(old).data, 'data');
  },
});
