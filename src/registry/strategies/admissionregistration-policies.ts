// admissionregistration.k8s.io ValidatingAdmissionPolicy(Binding) and
// MutatingAdmissionPolicy(Binding): metadata checks and the obvious required fields.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { getObject, getString } from '../../api/validation/json.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import type { Strategy } from '../types.ts';
import { asObj, strategy } from './common.ts';

const policy = (): Strategy => strategy({
  namespaced: false,
  name: nameIsDNSSubdomain,
  status: () => ({}),
  specFields: ['spec'],
  validate(obj) {
    const errs: FieldError[] = [];
    const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
    const fp = getString(spec, 'failurePolicy', 'spec', errs);
    if (fp !== undefined && fp !== 'Fail' && fp !== 'Ignore') errs.push(fieldError.notSupported('spec.failurePolicy', fp, ['Fail', 'Ignore']));
    return errs;
  },
});

const binding = (): Strategy => strategy({
  namespaced: false,
  name: nameIsDNSSubdomain,
  specFields: ['spec'],
  validate(obj) {
    const errs: FieldError[] = [];
    const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
    if ((getString(spec, 'policyName', 'spec', errs) ?? '') === '') errs.push(fieldError.required('spec.policyName'));
    return errs;
  },
});

export const admissionPolicyStrategies: Record<string, Strategy> = {
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': policy(),
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': binding(),
  'admissionregistration.k8s.io/MutatingAdmissionPolicy': policy(),
  'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding': binding(),
};
