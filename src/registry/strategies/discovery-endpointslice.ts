// discovery.k8s.io/v1 EndpointSlice: address type (immutable), endpoints and
// ports; ports default to protocol TCP and the empty name.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import { child, index } from '../../api/validation/fieldpath.ts';
import { validateIP, validateNonSpecialIP } from '../../api/validation/ip.ts';
import { getArray, getObject, getObjectList, getString, getStringArray, objsAt, setDefault } from '../../api/validation/json.ts';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidPortNum, nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { validateImmutableField } from '../../api/validation/objectmeta.ts';
import { supportedPortProtocols } from '../../api/validation/pod-containers.ts';
import type { Strategy } from '../types.ts';
import { asObj, strategy } from './common.ts';

const addressTypes = ['FQDN', 'IPv4', 'IPv6'];
const maxEndpoints = 1000, maxAddresses = 100, maxPorts = 20000;

export const endpointSliceStrategy: Strategy = strategy({
  namespaced: true,
  name: nameIsDNSSubdomain,
  specFields: ['addressType', 'endpoints', 'ports'],
  defaults(obj) {
    for (const p of objsAt(asObj(obj).ports)) {
      setDefault(p, 'name', '');
      setDefault(p, 'protocol', 'TCP');
    }
  },
  validate(obj) {
    const errs: FieldError[] = [];
    const o = asObj(obj);
    const addressType = getString(o, 'addressType', '', errs) ?? '';
    if (addressType === '') errs.push(fieldError.required('addressType'));
    else if (!addressTypes.includes(addressType)) errs.push(fieldError.notSupported('addressType', addressType, addressTypes));
    const endpoints = getObjectList(o, 'endpoints', '', errs);
    if (endpoints.length > maxEndpoints) errs.push(fieldError.tooMany('endpoints', endpoints.length, maxEndpoints));
    for (const { item: ep, path } of endpoints) {
      const addrs = getStringArray(ep, 'addresses', path, errs) ?? [];
      const ap = child(path, 'addresses');
      if (addrs.length === 0) errs.push(fieldError.required(ap, 'must contain at least 1 address'));
      else if (addrs.length > maxAddresses) errs.push(fieldError.tooMany(ap, addrs.length, maxAddresses));
      addrs.forEach((a, i) => {
        const p = index(ap, i);
        if (addressType === 'IPv4' || addressType === 'IPv6') {
          const e = validateIP(p, a);
          errs.push(...e);
          if (e.length === 0) {
            const v6 = a.includes(':');
            if (addressType === 'IPv4' && v6) errs.push(fieldError.invalid(p, a, 'must be an IPv4 address'));
            if (addressType === 'IPv6' && !v6) errs.push(fieldError.invalid(p, a, 'must be an IPv6 address'));
            errs.push(...validateNonSpecialIP(p, a));
          }
        } else if (addressType === 'FQDN') {
          for (const m of isDNS1123Subdomain(a)) errs.push(fieldError.invalid(p, a, m));
        }
      });
      const hostname = getString(ep, 'hostname', path, errs);
      if (hostname !== undefined) for (const m of isDNS1123Label(hostname)) errs.push(fieldError.invalid(child(path, 'hostname'), hostname, m));
      const nodeName = getString(ep, 'nodeName', path, errs);
      if (nodeName !== undefined) for (const m of nameIsDNSSubdomain(nodeName, false)) errs.push(fieldError.invalid(child(path, 'nodeName'), nodeName, m));
      getObject(ep, 'conditions', path, errs);
      getString(ep, 'zone', path, errs);
    }
    const ports = getArray(o, 'ports', '', errs) ?? [];
    if (ports.length > maxPorts) errs.push(fieldError.tooMany('ports', ports.length, maxPorts));
    const names = new Set<string>();
    for (const { item: p, path } of getObjectList(o, 'ports', '', errs)) {
      const name = getString(p, 'name', path, errs) ?? '';
      if (name.length > 0) for (const m of isDNS1123Label(name)) errs.push(fieldError.invalid(child(path, 'name'), name, m));
      if (names.has(name)) errs.push(fieldError.duplicate(child(path, 'name'), name));
      names.add(name);
      const port = p.port;
      if (typeof port === 'number') for (const m of isValidPortNum(port)) errs.push(fieldError.invalid(child(path, 'port'), port, m));
      const proto = getString(p, 'protocol', path, errs) ?? '';
      if (!supportedPortProtocols.includes(proto)) errs.push(fieldError.notSupported(child(path, 'protocol'), proto, supportedPortProtocols));
      const app = getString(p, 'appProtocol', path, errs);
      if (app !== undefined) for (const m of isQualifiedName(app)) errs.push(fieldError.invalid(child(path, 'appProtocol'), app, m));
    }
    return errs;
  },
  validateUpdate(obj, old) {
    return validateImmutableField(asObj(obj).addressType, asObj(old).addressType, 'addressType');
  },
});
