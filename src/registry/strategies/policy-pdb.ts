// policy/v1 PodDisruptionBudget: minAvailable or maxUnavailable (not both), the
// selector, and the eviction policy; status belongs to the disruption controller.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { getObject, getString } from '../../api/validation/json.ts';
import { validateLabelSelector } from '../../api/validation/labelselector.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import type { Strategy } from '../types.ts';
import { asObj, strategy } from './common.ts';
import { validateNotMoreThan100Percent, validatePositiveIntOrPercent } from './workload-common.ts';

export const pdbStrategy: Strategy = strategy({
  namespaced: true,
  name: nameIsDNSSubdomain,
  status: () => ({ currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 }),
  specFields: ['spec'],
  validate(obj) {
    const errs: FieldError[] = [];
    const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
    const min = spec.minAvailable, max = spec.maxUnavailable;
    if (min !== undefined && min !== null && max !== undefined && max !== null) {
      errs.push(fieldError.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
    }
    for (const [k, v] of [['minAvailable', min], ['maxUnavailable', max]] as const) {
      if (v === undefined || v === null) continue;
      validatePositiveIntOrPercent(v, `spec.${k}`, errs);
      validateNotMoreThan100Percent(v, `spec.${k}`, errs);
    }
    errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    const policy = getString(spec, 'unhealthyPodEvictionPolicy', 'spec', errs);
    if (policy !== undefined && policy !== 'IfHealthyBudget' && policy !== 'AlwaysAllow') {
      errs.push(fieldError.notSupported('spec.unhealthyPodEvictionPolicy', policy, ['AlwaysAllow', 'IfHealthyBudget']));
    }
    return errs;
  },
});
