// storage.k8s.io CSIStorageCapacity and VolumeAttributesClass: metadata checks
// and their required fields.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { getObject, getString } from '../../api/validation/json.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { semanticEqual } from '../../api/validation/json.ts';
import { validateCSIDriverName } from '../../api/validation/pod-volumes.ts';
import type { Strategy } from '../types.ts';
import { asObj, strategy } from './common.ts';

export const storageExtrasStrategies: Record<string, Strategy> = {
  'storage.k8s.io/CSIStorageCapacity': strategy({
    namespaced: true,
    name: nameIsDNSSubdomain,
    validate(obj) {
      const errs: FieldError[] = [];
      if ((getString(asObj(obj), 'storageClassName', '', errs) ?? '') === '') errs.push(fieldError.required('storageClassName'));
      return errs;
    },
  }),
  'storage.k8s.io/VolumeAttributesClass': strategy({
    namespaced: false,
    name: nameIsDNSSubdomain,
    validate(obj) {
      const errs: FieldError[] = [];
      errs.push(...validateCSIDriverName(getString(asObj(obj), 'driverName', '', errs) ?? '', 'driverName'));
      getObject(asObj(obj), 'parameters', '', errs);
      return errs;
    },
    validateUpdate(obj, old) {
      const errs: FieldError[] = [];
      if (!semanticEqual(asObj(obj).parameters, asObj(old).parameters)) errs.push(fieldError.forbidden('parameters', 'updates to parameters are forbidden.'));
      if (asObj(obj).driverName !== asObj(old).driverName) errs.push(fieldError.invalid('driverName', asObj(obj).driverName ?? null, 'field is immutable'));
      return errs;
    },
  }),
};
