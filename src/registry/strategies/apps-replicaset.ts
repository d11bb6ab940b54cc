// apps/v1 ReplicaSet: replicas default, ValidateReplicaSetSpec, immutable selector.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { getObject, isObj, setDefault } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { validateImmutableField } from '../../api/validation/objectmeta.ts';
import type { Strategy } from '../types.ts';
import { asObj, field, strategy } from './common.ts';
import { defaultPodTemplate } from './pod-defaults.ts';
import { nonNegative, validateRequiredSelector, validateTemplateForReplicaSet } from './workload-common.ts';

function defaults(obj: KubeObject): void {
  const spec = field(obj, 'spec');
  if (!spec) return;
  setDefault(spec, 'replicas', 1);
  field(spec, 'template');
  defaultPodTemplate(spec.template);
}

function validateSpec(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
  nonNegative(spec, 'replicas', 'spec', errs);
  nonNegative(spec, 'minReadySeconds', 'spec', errs);
  // Upstream reuses the Deployment wording here.
  const ok = validateRequiredSelector(spec, 'spec', 'deployment', errs);
  if (!ok) errs.push(fieldError.invalid('spec.selector', spec.selector ?? null, 'invalid label selector'));
  else validateTemplateForReplicaSet(spec.template, spec.selector, 'spec.template', errs);
  return errs;
}

export const replicaSetStrategy: Strategy = strategy({
  namespaced: true,
  name: nameIsDNSSubdomain,
  status: () => ({ replicas: 0 }),
  specFields: ['spec'],
  defaults,
  validate: validateSpec,
  validateUpdate(obj, old) {
    const s = isObj(asObj(obj).spec) ? asObj(obj).spec as Obj : {};
    const os = isObj(asObj(old).spec) ? asObj(old).spec as Obj : {};
    return validateImmutableField(s.selector, os.selector, 'spec.selector');
  },
});
