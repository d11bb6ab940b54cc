// apiregistration.k8s.io/v1 APIService, as kube-aggregator's registry serves it:
// the name is VERSION.GROUP ("v1." for the core group); a Service reference
// (port defaulted to 443) or none (a Local APIService, served by the API server
// itself, which may carry no caBundle and no insecureSkipTLSVerify); priorities
// in range; status only through the status subresource (conditions True, False
// or Unknown). A Local APIService is created Available (reason Local).

import { fieldError, type FieldError } from '../../api/errors.ts';
import { isObj, type Obj } from '../../api/validation/json.ts';
import { isDNS1035Label, isDNS1123Subdomain, isPathSegmentName, isValidPortNum } from '../../api/validation/names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../api/validation/objectmeta.ts';
import { nowTimestamp } from '../generic/metadata.ts';
import type { KubeObject } from '../../api/types.ts';
import type { Strategy } from '../types.ts';
import { asObj } from './common.ts';

export const LOCAL_REASON = 'Local';
export const LOCAL_MESSAGE = 'Local APIServices are always available';

function specOf(obj: KubeObject): Obj {
  const s = asObj(obj).spec;
  return isObj(s) ? s : {};
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

/** The bytes a base64 caBundle decodes to. */
function bundleBytes(v: unknown): number {
  if (typeof v !== 'string' || v === '') return 0;
  return Buffer.from(v, 'base64').length;
}

/** Upstream's rules for any state of an APIService (ValidateAPIService). */
export function validateAPIService(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const group = str(spec.group);
  const version = str(spec.version);
  const required = `${version}.${group}`;
  const errs = validateObjectMeta(asObj(obj).metadata, {
    namespaced: false,
    nameValidator: (name) => {
      const minimal = isPathSegmentName(name);
      if (minimal.length > 0) return minimal;
      return name === required ? [] : [`must be \`spec.version+"."+spec.group\`: ${JSON.stringify(required)}`];
    },
  });
  if (group === '' && version !== 'v1') errs.push(fieldError.required('spec.group', 'only v1 may have an empty group and it better be legacy kube'));
  if (group !== '') for (const m of isDNS1123Subdomain(group)) errs.push(fieldError.invalid('spec.group', group, m));
  for (const m of isDNS1035Label(version)) errs.push(fieldError.invalid('spec.version', version, m));
  const gp = num(spec.groupPriorityMinimum);
  if (gp <= 0 || gp > 20000) errs.push(fieldError.invalid('spec.groupPriorityMinimum', gp, 'must be positive and less than 20000'));
  const vp = num(spec.versionPriority);
  if (vp <= 0 || vp > 1000) errs.push(fieldError.invalid('spec.versionPriority', vp, 'must be positive and less than 1000'));
  const insecure = spec.insecureSkipTLSVerify === true;
  const bytes = bundleBytes(spec.caBundle);
  if (!isObj(spec.service)) {
    if (bytes !== 0) errs.push(fieldError.invalid('spec.caBundle', `${bytes} bytes`, 'local APIServices may not have a caBundle'));
    if (insecure) errs.push(fieldError.invalid('spec.insecureSkipTLSVerify', true, 'local APIServices may not have insecureSkipTLSVerify'));
    return errs;
  }
  const svc = spec.service;
  if (str(svc.namespace) === '') errs.push(fieldError.required('spec.service.namespace', ''));
  if (str(svc.name) === '') errs.push(fieldError.required('spec.service.name', ''));
  const port = num(svc.port);
  const portErrs = isValidPortNum(port);
  if (portErrs.length > 0) errs.push(fieldError.invalid('spec.service.port', port, `port is not valid: ${portErrs.join(', ')}`));
  if (insecure && bytes > 0) errs.push(fieldError.invalid('spec.insecureSkipTLSVerify', true, 'may not be true if caBundle is present'));
  return errs;
}

/** Upstream's rule for a status write: each condition's status is True, False or Unknown. */
export function validateAPIServiceStatus(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const status = asObj(obj).status;
  const conditions = isObj(status) && Array.isArray(status.conditions) ? status.conditions : [];
  conditions.forEach((c, i) => {
    const s = isObj(c) ? c.status : undefined;
    if (s !== 'True' && s !== 'False' && s !== 'Unknown') {
      errs.push(fieldError.notSupported(`status.conditions[${i}].status`, s ?? '', ['True', 'False', 'Unknown']));
    }
  });
  return errs;
}

/** The condition a Local APIService is created with. */
export function localAvailableCondition(now = new Date()): Obj {
  return { type: 'Available', status: 'True', lastTransitionTime: nowTimestamp(now), reason: LOCAL_REASON, message: LOCAL_MESSAGE };
}

export const apiServiceStrategy: Strategy = {
  prepareForCreate(obj) {
    // Status is the aggregator's: a Local APIService is available from the start.
    delete obj.status;
    if (!isObj(specOf(obj).service)) (obj as unknown as Obj).status = { conditions: [localAvailableCondition()] };
  },
  prepareForUpdate(obj, old) {
    if (old.status === undefined) delete obj.status;
    else obj.status = structuredClone(old.status);
  },
  defaults(obj) {
    const svc = specOf(obj).service;
    if (isObj(svc) && svc.port === undefined) svc.port = 443;
  },
  validate: validateAPIService,
  validateUpdate(obj, old) {
    return validateObjectMetaUpdate(asObj(obj).metadata, asObj(old).metadata);
  },
  validateStatusUpdate(obj, old) {
    return [...validateObjectMetaUpdate(asObj(obj).metadata, asObj(old).metadata), ...validateAPIServiceStatus(obj)];
  },
};
