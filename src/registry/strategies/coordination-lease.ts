// coordination.k8s.io/v1 Lease: durations and transitions, leader election strategy.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { getInt, getObject, getString } from '../../api/validation/json.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { isNegativeErrorMsg } from '../../api/validation/objectmeta.ts';
import type { Strategy } from '../types.ts';
import { asObj, strategy } from './common.ts';

export const leaseStrategy: Strategy = strategy({
  namespaced: true,
  name: nameIsDNSSubdomain,
  validate(obj) {
    const errs: FieldError[] = [];
    const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
    const dur = getInt(spec, 'leaseDurationSeconds', 'spec', errs);
    if (dur !== undefined && dur <= 0) errs.push(fieldError.invalid('spec.leaseDurationSeconds', dur, 'must be greater than 0'));
    const transitions = getInt(spec, 'leaseTransitions', 'spec', errs);
    if (transitions !== undefined && transitions < 0) errs.push(fieldError.invalid('spec.leaseTransitions', transitions, isNegativeErrorMsg));
    getString(spec, 'holderIdentity', 'spec', errs);
    getString(spec, 'acquireTime', 'spec', errs);
    getString(spec, 'renewTime', 'spec', errs);
    const strategyName = getString(spec, 'strategy', 'spec', errs);
    if (strategyName !== undefined && strategyName !== 'OldestEmulationVersion') {
      errs.push(fieldError.notSupported('spec.strategy', strategyName, ['OldestEmulationVersion']));
    }
    const preferred = getString(spec, 'preferredHolder', 'spec', errs);
    if (preferred !== undefined && preferred !== '' && strategyName === undefined) {
      errs.push(fieldError.forbidden('spec.preferredHolder', 'may only be specified if `strategy` is defined'));
    }
    return errs;
  },
});
