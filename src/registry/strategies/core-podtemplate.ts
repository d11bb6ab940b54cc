// core/v1 PodTemplate: the template gets pod-spec defaults and validation; its
// generation follows changes to the template.

import { nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { validatePodTemplateSpec } from '../../api/validation/pod-spec.ts';
import type { Strategy } from '../types.ts';
import { asObj, field, strategy } from './common.ts';
import { defaultPodTemplate } from './pod-defaults.ts';

export const podTemplateStrategy: Strategy = strategy({
  namespaced: true,
  name: nameIsDNSSubdomain,
  specFields: ['template'],
  defaults(obj) {
    field(obj, 'template');
    defaultPodTemplate(asObj(obj).template);
  },
  validate(obj) {
    return validatePodTemplateSpec(asObj(obj).template, 'template');
  },
});
