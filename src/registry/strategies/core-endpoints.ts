// core/v1 Endpoints: port protocols default to TCP; addresses and ports are checked.

import { fieldError } from '../../api/errors.ts';
import type { FieldError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { child } from '../../api/validation/fieldpath.ts';
import { validateIP, validateNonSpecialIP } from '../../api/validation/ip.ts';
import { getInt, getObjectList, getString, objsAt, setDefaultStr } from '../../api/validation/json.ts';
import type { Obj } from '../../api/validation/json.ts';
import { isDNS1123Label, isQualifiedName, isValidPortNum, nameIsDNSSubdomain } from '../../api/validation/names.ts';
import { supportedPortProtocols } from '../../api/validation/pod-containers.ts';
import type { Strategy } from '../types.ts';
import { asObj, validateMeta, validateMetaUpdate } from './common.ts';

function validateAddress(a: Obj, path: string, errs: FieldError[]): void {
  const ip = getString(a, 'ip', path, errs) ?? '';
  errs.push(...validateIP(child(path, 'ip'), ip));
  const hostname = getString(a, 'hostname', path, errs) ?? '';
  if (hostname.length > 0) for (const m of isDNS1123Label(hostname)) errs.push(fieldError.invalid(child(path, 'hostname'), hostname, m));
  const nodeName = getString(a, 'nodeName', path, errs);
  if (nodeName !== undefined) for (const m of nameIsDNSSubdomain(nodeName, false)) errs.push(fieldError.invalid(child(path, 'nodeName'), nodeName, m));
  errs.push(...validateNonSpecialIP(child(path, 'ip'), ip));
}

/** An endpoint port (Endpoints and, with the same rules, EndpointSlices). */
export function validateEndpointPort(p: Obj, path: string, requireName: boolean, errs: FieldError[]): void {
  const name = getString(p, 'name', path, errs) ?? '';
  if (requireName && name.length === 0) errs.push(fieldError.required(child(path, 'name')));
  else if (name.length !== 0) for (const m of isDNS1123Label(name)) errs.push(fieldError.invalid(child(path, 'name'), name, m));
  const port = getInt(p, 'port', path, errs) ?? 0;
  for (const m of isValidPortNum(port)) errs.push(fieldError.invalid(child(path, 'port'), port, m));
  const proto = getString(p, 'protocol', path, errs) ?? '';
  if (proto.length === 0) errs.push(fieldError.required(child(path, 'protocol')));
  else if (!supportedPortProtocols.includes(proto)) errs.push(fieldError.notSupported(child(path, 'protocol'), proto, supportedPortProtocols));
  const ap = getString(p, 'appProtocol', path, errs);
  if (ap !== undefined) for (const m of isQualifiedName(ap)) errs.push(fieldError.invalid(child(path, 'appProtocol'), ap, m));
}

function validate(obj: KubeObject): FieldError[] {
  const errs = validateMeta(obj, { namespaced: true, name: nameIsDNSSubdomain });
  for (const { item: ss, path } of getObjectList(asObj(obj), 'subsets', '', errs)) {
    const addrs = getObjectList(ss, 'addresses', path, errs);
    const notReady = getObjectList(ss, 'notReadyAddresses', path, errs);
    if (addrs.length === 0 && notReady.length === 0) errs.push(fieldError.required(path, 'must specify `addresses` or `notReadyAddresses`'));
    for (const { item, path: p } of [...addrs, ...notReady]) validateAddress(item, p, errs);
    const ports = getObjectList(ss, 'ports', path, errs);
    for (const { item, path: p } of ports) validateEndpointPort(item, p, ports.length > 1, errs);
  }
  return errs;
}

export const endpointsStrategy: Strategy = {
  defaults(obj) {
    for (const ss of objsAt(asObj(obj).subsets)) for (const p of objsAt(ss.ports)) setDefaultStr(p, 'protocol', 'TCP');
  },
  validate,
  validateUpdate: validateMetaUpdate,
};
