// node.k8s.io/v1 RuntimeClass: a DNS-label handler (immutable), overhead and scheduling.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { getObject, getString } from '../../api/validation/json.ts';
import { isDNS1123Label, nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { validateImmutableField, validateLabels } from '../../api/validation/objectmeta.ts';
import { validateTolerations } from '../../api/validation/pod-scheduling.ts';
import { validateResourceList, validateContainerResourceName } from '../../api/validation/resources.ts';
import type { Strategy } from '../types.ts';
import { asObj, strategy } from './common.ts';
import { canonicalizeResourceList } from './pod-defaults.ts';

export const runtimeClassStrategy: Strategy = strategy({
  namespaced: false,
  name: nameIsDNSSubdomain,
  defaults(obj) {
    const overhead = asObj(obj).overhead;
    const o = overhead && typeof overhead === 'object' ? (overhead as Record<string, unknown>) : undefined;
    if (o) canonicalizeResourceList(o.podFixed);
  },
  validate(obj) {
    const errs: FieldError[] = [];
    const o = asObj(obj);
    const handler = getString(o, 'handler', '', errs) ?? '';
    if (handler.length === 0) errs.push(fieldError.required('handler'));
    else for (const m of isDNS1123Label(handler)) errs.push(fieldError.invalid('handler', handler, m));
    const overhead = getObject(o, 'overhead', '', errs);
    if (overhead) errs.push(...validateResourceList(overhead.podFixed, 'overhead.podFixed', validateContainerResourceName));
    const sched = getObject(o, 'scheduling', '', errs);
    if (sched) {
      errs.push(...validateLabels(sched.nodeSelector, 'scheduling.nodeSelector'));
      errs.push(...validateTolerations(sched.tolerations, 'scheduling.tolerations'));
    }
    return errs;
  },
  validateUpdate(obj, old) {
    return validateImmutableField(asObj(obj).handler, asObj(old).handler, 'handler');
  },
});
