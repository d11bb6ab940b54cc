// scheduling.k8s.io/v1 PriorityClass: reserved "system-" names, the value
// ceiling for user classes, and an immutable value and preemption policy.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { getBool, getInt, getString, setDefault } from '../../api/validation/json.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import type { Strategy } from '../types.ts';
import { asObj, metaOf, strategy } from './common.ts';

const highestUserDefinablePriority = 1000000000;
const systemClasses: Record<string, number> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };

export const priorityClassStrategy: Strategy = strategy({
  namespaced: false,
  name: nameIsDNSSubdomain,
  defaults(obj) { setDefault(asObj(obj), 'preemptionPolicy', 'PreemptLowerPriority'); },
  validate(obj) {
    const errs: FieldError[] = [];
    const o = asObj(obj);
    const name = typeof metaOf(obj).name === 'string' ? metaOf(obj).name as string : '';
    const value = getInt(o, 'value', '', errs) ?? 0;
    if (Object.hasOwn(systemClasses, name)) {
      if (systemClasses[name] !== value) {
        errs.push(fieldError.forbidden('metadata.name', `${name} is a system-defined priority class and its value must be ${systemClasses[name]}`));
      }
    } else if (name.startsWith('system-')) {
      errs.push(fieldError.forbidden('metadata.name', "priority class names with 'system-' prefix are reserved"));
    } else if (value > highestUserDefinablePriority) {
      errs.push(fieldError.forbidden('value', `maximum allowed value of a user defined priority is ${highestUserDefinablePriority}`));
    }
    const pp = getString(o, 'preemptionPolicy', '', errs);
    if (pp !== undefined && pp !== 'PreemptLowerPriority' && pp !== 'Never') {
      errs.push(fieldError.notSupported('preemptionPolicy', pp, ['PreemptLowerPriority', 'Never']));
    }
    getBool(o, 'globalDefault', '', errs);
    getString(o, 'description', '', errs);
    return errs;
  },
  validateUpdate(obj, old) {
    const errs: FieldError[] = [];
    const o = asObj(obj), oo = asObj(old);
    if (o.value !== oo.value) errs.push(fieldError.forbidden('value', 'may not be changed in an update.'));
    if (o.preemptionPolicy !== oo.preemptionPolicy) errs.push(fieldError.invalid('preemptionPolicy', o.preemptionPolicy ?? null, 'field is immutable'));
    return errs;
  },
});
