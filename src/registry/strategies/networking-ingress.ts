// networking.k8s.io/v1 Ingress and IngressClass.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { child, index } from '../../api/validation/fieldpath.ts';
import { parseIPSloppy } from '../../api/validation/ip.ts';
import { getObject, getObjectList, getString, getStringArray, isObj, objAt, setDefault } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import {
  isDNS1123Label, isDNS1123Subdomain, isDomainPrefixedPath, isValidPortName, isValidPortNum, isWildcardDNS1123Subdomain,
  nameIsDNS1035Label, nameIsDNSSubdomain,
} from '../../api/validation/names.ts';
import { validateImmutableField } from '../../api/validation/objectmeta.ts';
import type { Strategy } from '../types.ts';
import { asObj, field, strategy } from './common.ts';

const pathTypes = ['Exact', 'ImplementationSpecific', 'Prefix'];

function validateHost(host: string, path: string, errs: FieldError[]): void {
  if (parseIPSloppy(host)) errs.push(fieldError.invalid(path, host, 'must be a DNS name, not an IP address'));
  if (host.includes('*')) for (const m of isWildcardDNS1123Subdomain(host)) errs.push(fieldError.invalid(path, host, m));
  else for (const m of isDNS1123Subdomain(host)) errs.push(fieldError.invalid(path, host, m));
}

function validateBackend(b: Obj, path: string, errs: FieldError[]): void {
  const svc = getObject(b, 'service', path, errs);
  const res = getObject(b, 'resource', path, errs);
  if (svc && res) { errs.push(fieldError.invalid(path, '', 'cannot set both resource and service backends')); return; }
  if (svc) {
    const sp = child(path, 'service');
    const name = getString(svc, 'name', sp, errs) ?? '';
    if (name.length === 0) errs.push(fieldError.required(child(sp, 'name')));
    else for (const m of nameIsDNS1035Label(name, false)) errs.push(fieldError.invalid(child(sp, 'name'), name, m));
    const port = getObject(svc, 'port', sp, errs) ?? {};
    const pp = child(sp, 'port');
    const pname = getString(port, 'name', pp, errs) ?? '';
    const pnum = typeof port.number === 'number' ? port.number : 0;
    if (pname !== '' && pnum !== 0) errs.push(fieldError.invalid(pp, port, 'cannot set both port name & port number'));
    else if (pname !== '') for (const m of isValidPortName(pname)) errs.push(fieldError.invalid(child(pp, 'name'), pname, m));
    else if (pnum !== 0) for (const m of isValidPortNum(pnum)) errs.push(fieldError.invalid(child(pp, 'number'), pnum, m));
    else errs.push(fieldError.required(pp, 'port name or number is required'));
  } else if (res) {
    const rp = child(path, 'resource');
    if ((getString(res, 'kind', rp, errs) ?? '') === '') errs.push(fieldError.required(child(rp, 'kind')));
    if ((getString(res, 'name', rp, errs) ?? '') === '') errs.push(fieldError.required(child(rp, 'name')));
  } else {
    errs.push(fieldError.invalid(path, '', 'resource or service backend is required'));
  }
}

export const ingressStrategy: Strategy = strategy({
  namespaced: true,
  name: nameIsDNSSubdomain,
  status: () => ({ loadBalancer: {} }),
  specFields: ['spec'],
  validate(obj) {
    const errs: FieldError[] = [];
    const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
    const backend = getObject(spec, 'defaultBackend', 'spec', errs);
    const rules = getObjectList(spec, 'rules', 'spec', errs);
    if (!backend && rules.length === 0) errs.push(fieldError.invalid('spec', spec, 'either `defaultBackend` or `rules` must be specified'));
    if (backend) validateBackend(backend, 'spec.defaultBackend', errs);
    const cls = getString(spec, 'ingressClassName', 'spec', errs);
    if (cls !== undefined) for (const m of nameIsDNSSubdomain(cls, false)) errs.push(fieldError.invalid('spec.ingressClassName', cls, m));
    for (const { item: tls, path } of getObjectList(spec, 'tls', 'spec', errs)) {
      (getStringArray(tls, 'hosts', path, errs) ?? []).forEach((h, i) => {
        const hp = index(child(path, 'hosts'), i);
        if (h.includes('*')) for (const m of isWildcardDNS1123Subdomain(h)) errs.push(fieldError.invalid(hp, h, m));
        else for (const m of isDNS1123Subdomain(h)) errs.push(fieldError.invalid(hp, h, m));
      });
      getString(tls, 'secretName', path, errs);
    }
    for (const { item: rule, path } of rules) {
      const host = getString(rule, 'host', path, errs) ?? '';
      if (host.length > 0) validateHost(host, child(path, 'host'), errs);
      const http = getObject(rule, 'http', path, errs);
      if (!http) continue;
      const hp = child(path, 'http');
      const paths = getObjectList(http, 'paths', hp, errs);
      if (paths.length === 0) errs.push(fieldError.required(child(hp, 'paths')));
      for (const { item: p, path: pp } of paths) {
        const pathType = getString(p, 'pathType', pp, errs);
        const value = getString(p, 'path', pp, errs) ?? '';
        if (pathType === undefined) errs.push(fieldError.required(child(pp, 'pathType'), 'pathType must be specified'));
        else if (!pathTypes.includes(pathType)) errs.push(fieldError.notSupported(child(pp, 'pathType'), pathType, pathTypes));
        if ((pathType === 'Exact' || pathType === 'Prefix') && !value.startsWith('/')) {
          errs.push(fieldError.invalid(child(pp, 'path'), value, 'must be an absolute path'));
        }
        if ((pathType === 'Exact' || pathType === 'Prefix') && /\/\/|\/\.\.?(\/|$)|%2f|%2F|~/.test(value)) {
          errs.push(fieldError.invalid(child(pp, 'path'), value, "must not contain '//', '/./', '/../', '%2f' or '~'"));
        }
        const b = getObject(p, 'backend', pp, errs);
        if (b) validateBackend(b, child(pp, 'backend'), errs);
        else errs.push(fieldError.required(child(pp, 'backend')));
      }
    }
    return errs;
  },
});

export const ingressClassStrategy: Strategy = strategy({
  namespaced: false,
  name: nameIsDNSSubdomain,
  specFields: ['spec'],
  defaults(obj) {
    const spec = field(obj, 'spec');
    const params = spec ? objAt(spec.parameters) : undefined;
    if (params) setDefault(params, 'scope', 'Cluster');
  },
  validate(obj) {
    const errs: FieldError[] = [];
    const spec = getObject(asObj(obj), 'spec', '', errs) ?? {};
    const controller = getString(spec, 'controller', 'spec', errs) ?? '';
    if (controller.length === 0) errs.push(fieldError.required('spec.controller'));
    else {
      for (const e of isDomainPrefixedPath(controller)) errs.push(fieldError.invalid('spec.controller', e.value, e.msg));
      if (controller.length > 250) errs.push(fieldError.tooLong('spec.controller', '', 250));
    }
    const params = getObject(spec, 'parameters', 'spec', errs);
    if (params) {
      const p = 'spec.parameters';
      if ((getString(params, 'kind', p, errs) ?? '') === '') errs.push(fieldError.required(`${p}.kind`));
      if ((getString(params, 'name', p, errs) ?? '') === '') errs.push(fieldError.required(`${p}.name`));
      const scope = getString(params, 'scope', p, errs) ?? '';
      const ns = getString(params, 'namespace', p, errs);
      if (scope !== 'Cluster' && scope !== 'Namespace') errs.push(fieldError.notSupported(`${p}.scope`, scope, ['Cluster', 'Namespace']));
      if (scope === 'Namespace') {
        if (ns === undefined) errs.push(fieldError.required(`${p}.namespace`, '`parameters.scope` is set to "Namespace"'));
        else for (const m of isDNS1123Label(ns)) errs.push(fieldError.invalid(`${p}.namespace`, ns, m));
      }
      if (scope === 'Cluster' && ns !== undefined) errs.push(fieldError.forbidden(`${p}.namespace`, '`parameters.scope` is set to "Cluster"'));
    }
    return errs;
  },
  validateUpdate(obj, old) {
    const s = isObj(asObj(obj).spec) ? asObj(obj).spec as Obj : {};
    const os = isObj(asObj(old).spec) ? asObj(old).spec as Obj : {};
    return validateImmutableField(s.controller, os.controller, 'spec.controller');
  },
});
