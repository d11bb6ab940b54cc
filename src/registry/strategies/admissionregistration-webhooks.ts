// admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration and
// MutatingWebhookConfiguration: per-webhook defaults and validation.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { child, index } from '../../api/validation/fieldpath.ts';
import { getInt, getObject, getObjectList, getString, getStringArray, objAt, objsAt, setDefault } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { validateLabelSelector } from '../../api/validation/labelselector.ts';
import { inclusiveRangeError, isDNS1035Label, isFullyQualifiedName, nameIsDNSSubdomain } from '../../api/validation/names.ts';
import type { Strategy } from '../types.ts';
import { asObj, strategy } from './common.ts';

const operations = ['*', 'CONNECT', 'CREATE', 'DELETE', 'UPDATE'];
const acceptedReviewVersions = ['v1', 'v1beta1'];
const sideEffects = ['None', 'NoneOnDryRun'];

function defaults(mutating: boolean) {
  return (obj: KubeObject): void => {
    for (const w of objsAt(asObj(obj).webhooks)) {
      setDefault(w, 'failurePolicy', 'Fail');
      setDefault(w, 'matchPolicy', 'Equivalent');
      setDefault(w, 'namespaceSelector', {});
      setDefault(w, 'objectSelector', {});
      setDefault(w, 'timeoutSeconds', 10);
      if (mutating) setDefault(w, 'reinvocationPolicy', 'Never');
      for (const r of objsAt(w.rules)) setDefault(r, 'scope', '*');
      const cc = objAt(w.clientConfig);
      const svc = cc ? objAt(cc.service) : undefined;
      if (svc) setDefault(svc, 'port', 443);
    }
  };
}

function validateClientConfig(cc: Obj | undefined, path: string, errs: FieldError[]): void {
  const c = cc ?? {};
  const url = getString(c, 'url', path, errs);
  const svc = getObject(c, 'service', path, errs);
  if ((url === undefined) === (svc === undefined)) {
    errs.push(fieldError.required(path, 'exactly one of url or service is required'));
    return;
  }
  if (url !== undefined) {
    const up = child(path, 'url');
    let u: URL | undefined;
    try { u = new URL(url); } catch { errs.push(fieldError.invalid(up, url, 'host must be specified')); return; }
    if (u.protocol !== 'https:') errs.push(fieldError.invalid(up, url, "'https' is the only allowed URL scheme"));
    if (u.hostname === '') errs.push(fieldError.invalid(up, url, 'host must be specified'));
    if (u.username !== '' || u.password !== '') errs.push(fieldError.invalid(up, url, 'user information is not permitted in the URL'));
    if (u.hash !== '') errs.push(fieldError.invalid(up, url, 'fragments are not permitted in the URL'));
    if (u.search !== '') errs.push(fieldError.invalid(up, url, 'query parameters are not permitted in the URL'));
  } else if (svc) {
    const sp = child(path, 'service');
    if ((getString(svc, 'namespace', sp, errs) ?? '') === '') errs.push(fieldError.required(child(sp, 'namespace'), 'service namespace is required'));
    if ((getString(svc, 'name', sp, errs) ?? '') === '') errs.push(fieldError.required(child(sp, 'name'), 'service name is required'));
    const p = getString(svc, 'path', sp, errs);
    if (p !== undefined && p !== '' && !p.startsWith('/')) errs.push(fieldError.invalid(child(sp, 'path'), p, "must start with a '/'"));
    const port = getInt(svc, 'port', sp, errs);
    if (port !== undefined && (port < 1 || port > 65535)) {
      errs.push(fieldError.invalid(child(sp, 'port'), port, `port is not valid: ${inclusiveRangeError(1, 65535)}`));
    }
  }
}

export function validateRule(r: Obj, path: string, errs: FieldError[]): void {
  const ops = getStringArray(r, 'operations', path, errs) ?? [];
  if (ops.length === 0) errs.push(fieldError.required(child(path, 'operations')));
  ops.forEach((op, i) => { if (!operations.includes(op)) errs.push(fieldError.notSupported(index(child(path, 'operations'), i), op, operations)); });
  for (const k of ['apiGroups', 'apiVersions', 'resources']) {
    if ((getStringArray(r, k, path, errs) ?? []).length === 0) errs.push(fieldError.required(child(path, k)));
  }
  const scope = getString(r, 'scope', path, errs);
  if (scope !== undefined && !['*', 'Cluster', 'Namespaced'].includes(scope)) errs.push(fieldError.notSupported(child(path, 'scope'), scope, ['*', 'Cluster', 'Namespaced']));
}

function validateWebhooks(mutating: boolean) {
  return (obj: KubeObject): FieldError[] => {
    const errs: FieldError[] = [];
    const names = new Set<string>();
    for (const { item: w, path } of getObjectList(asObj(obj), 'webhooks', '', errs)) {
      const name = getString(w, 'name', path, errs) ?? '';
      const np = child(path, 'name');
      if (name.length === 0) errs.push(fieldError.required(np));
      else for (const m of isFullyQualifiedName(name)) errs.push(fieldError.invalid(np, name, m));
      if (names.has(name)) errs.push(fieldError.duplicate(np, name));
      names.add(name);
      for (const { item: r, path: rp } of getObjectList(w, 'rules', path, errs)) validateRule(r, rp, errs);
      const fp = getString(w, 'failurePolicy', path, errs);
      if (fp !== undefined && fp !== 'Fail' && fp !== 'Ignore') errs.push(fieldError.notSupported(child(path, 'failurePolicy'), fp, ['Fail', 'Ignore']));
      const mp = getString(w, 'matchPolicy', path, errs);
      if (mp !== undefined && mp !== 'Equivalent' && mp !== 'Exact') errs.push(fieldError.notSupported(child(path, 'matchPolicy'), mp, ['Equivalent', 'Exact']));
      const se = getString(w, 'sideEffects', path, errs);
      if (se === undefined) errs.push(fieldError.required(child(path, 'sideEffects'), `must specify one of ${sideEffects.join(', ')}`));
      else if (!sideEffects.includes(se)) errs.push(fieldError.notSupported(child(path, 'sideEffects'), se, sideEffects));
      const to = getInt(w, 'timeoutSeconds', path, errs);
      if (to !== undefined && (to < 1 || to > 30)) errs.push(fieldError.invalid(child(path, 'timeoutSeconds'), to, 'the timeout value must be between 1 and 30 seconds'));
      const versions = getStringArray(w, 'admissionReviewVersions', path, errs) ?? [];
      const vp = child(path, 'admissionReviewVersions');
      if (versions.length === 0) errs.push(fieldError.required(vp, `must specify one of ${acceptedReviewVersions.join(', ')}`));
      else {
        const seen = new Set<string>();
        versions.forEach((v, i) => {
          for (const m of isDNS1035Label(v)) errs.push(fieldError.invalid(index(vp, i), v, m));
          if (seen.has(v)) errs.push(fieldError.invalid(index(vp, i), v, 'duplicate version'));
          seen.add(v);
        });
        if (!versions.some((v) => acceptedReviewVersions.includes(v))) {
          errs.push(fieldError.invalid(vp, versions, `must include at least one of ${acceptedReviewVersions.join(', ')}`));
        }
      }
      errs.push(...validateLabelSelector(w.namespaceSelector, child(path, 'namespaceSelector')));
      errs.push(...validateLabelSelector(w.objectSelector, child(path, 'objectSelector')));
      validateClientConfig(getObject(w, 'clientConfig', path, errs), child(path, 'clientConfig'), errs);
      if (mutating) {
        const rp = getString(w, 'reinvocationPolicy', path, errs);
        if (rp !== undefined && rp !== 'Never' && rp !== 'IfNeeded') errs.push(fieldError.notSupported(child(path, 'reinvocationPolicy'), rp, ['IfNeeded', 'Never']));
      }
    }
    return errs;
  };
}

export const validatingWebhookConfigurationStrategy: Strategy = strategy({
  namespaced: false, name: nameIsDNSSubdomain, specFields: ['webhooks'], defaults: defaults(false), validate: validateWebhooks(false),
});

export const mutatingWebhookConfigurationStrategy: Strategy = strategy({
  namespaced: false, name: nameIsDNSSubdomain, specFields: ['webhooks'], defaults: defaults(true), validate: validateWebhooks(true),
});
